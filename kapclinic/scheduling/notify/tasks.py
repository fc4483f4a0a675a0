"""The reminder sweep as a background task (Django tasks API; the database backend's
``manage.py db_worker`` runs it). Enqueue it every few minutes (``manage.py send_reminders
--enqueue`` from cron), or run the sweep directly with ``manage.py send_reminders``."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from kapclinic.scheduling.notify.services import send_due_reminders


@task()
def send_reminders() -> int:
    """Send every due appointment reminder (idempotent: a reminder goes once); returns how many
    messages went."""
    return send_due_reminders(now=timezone.now()).sent
