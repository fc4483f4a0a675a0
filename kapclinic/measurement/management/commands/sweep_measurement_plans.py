from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.plans.links import send_due_links
from kapclinic.measurement.plans.missed import close_missed


class Command(BaseCommand):
    help = (
        "Measurement-plan housekeeping, idempotent; run it every few minutes (cron or worker "
        "host): e-mail every questionnaire link that is due and not yet sent (the safety net for "
        "link jobs lost or never deferred), and close as missed what stayed unanswered the "
        "clinic's number of days after turning overdue."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        missed = close_missed(now=now)  # each item on its own: a failure never stops the links
        self.stdout.write(f"Closed {missed} questionnaire(s) as missed.")
        try:
            result = send_due_links(now=now)
        except PlanError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Sent {result.sent} questionnaire link(s).")
        if result.without_email:
            self.stdout.write(
                f"{result.without_email} due link(s) not sent: no e-mail address on file. "
                "They are on the worklist."
            )
        if result.refused:
            self.stdout.write(
                f"{result.refused} due link(s) refused (see the log for why). They are on the "
                "worklist."
            )
