from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kapclinic.audit.verification import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first bad entry."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if not result.ok:
            msg = (
                f"Audit trail FAILED verification after {result.checked} good entries: "
                f"{result.problem}. First bad entry: #{result.first_bad_position}."
            )
            raise CommandError(msg)
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail verified: {result.checked} entries, chain intact.")
        )
