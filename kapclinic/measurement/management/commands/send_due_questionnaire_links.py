from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.plan_links import send_due_links


class Command(BaseCommand):
    help = (
        "E-mail every questionnaire link that is due and not yet sent (link-mode assignments of "
        "measurement plans). Idempotent; run it every few minutes (cron or worker host) as the "
        "safety net for link jobs that were lost or never deferred."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = send_due_links(now=timezone.now())
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
