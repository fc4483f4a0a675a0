from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from kapclinic.measurement.safety.services import escalate_overdue_safety_tasks


class Command(BaseCommand):
    help = (
        "Escalate to the clinic admins every urgent safety task not acknowledged within its "
        "clinic's escalation time. Idempotent; run it every few minutes (cron or worker) as the "
        "safety net for escalation jobs that were lost or never queued."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        escalated = escalate_overdue_safety_tasks(now=timezone.now())
        self.stdout.write(f"Escalated {escalated} overdue safety task(s).")
