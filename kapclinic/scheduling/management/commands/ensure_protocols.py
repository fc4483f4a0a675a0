"""Give clinics kapclinic's shipped treatment protocol templates they do not have yet.

``manage.py grant_role`` does this for the clinic it sets up; run this after an upgrade that
ships a new template, or for a clinic created another way. A clinic's own versions are never
touched. Audited (no actor: kapclinic's templates).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kapclinic.accounts.models import Clinic
from kapclinic.scheduling.services import ensure_shipped_protocols


class Command(BaseCommand):
    help = "Give clinics the shipped treatment protocol templates they lack (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="one clinic's code, e.g. BOS (default: every clinic)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("code")
        if options["clinic"]:
            clinics = clinics.filter(code=str(options["clinic"]).upper())
            if not clinics.exists():
                msg = f"No clinic has the code {options['clinic']!r}."
                raise CommandError(msg)
        for clinic in clinics:
            created = ensure_shipped_protocols(clinic=clinic)
            names = ", ".join(version.name for version in created) or "nothing new"
            self.stdout.write(f"{clinic.code}: {names}")
