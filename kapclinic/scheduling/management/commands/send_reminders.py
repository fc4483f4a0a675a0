from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kapclinic.scheduling.notify.services import send_due_reminders
from kapclinic.scheduling.notify.tasks import send_reminders


class Command(BaseCommand):
    help = (
        "Send the appointment reminders that are due, at each clinic's lead times, once each "
        "and never for cancelled or past sessions; idempotent, run it every few minutes (cron "
        "or the worker host). With --enqueue, queue the send_reminders task for the worker "
        "(manage.py db_worker) instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the task instead of sending here."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = send_reminders.enqueue()
            self.stdout.write(f"Queued the reminder sweep ({result.id}).")
            return
        run = send_due_reminders(now=timezone.now())
        self.stdout.write(f"Sent {run.sent} reminder(s).")
        if run.failed:
            self.stdout.write(
                f"{run.failed} reminder(s) could not be sent (see the log); the next run tries "
                "them again."
            )
