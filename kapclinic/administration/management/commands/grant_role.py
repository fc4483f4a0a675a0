"""The operator's way to give a clinic its first admin (or any role) from the server's shell.

Clinic admins grant roles in the app (Clinic → Staff); this command is for a clinic that has no
admin yet. It goes through the same service (accounts.services.grant_role), is audited as an
operator action, and prints the invitation link instead of needing an e-mail to arrive.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from kapclinic.accounts import services
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.core.exceptions import DomainError
from kapclinic.scheduling.services import ensure_shipped_protocols


class Command(BaseCommand):
    help = "Give someone a role in a clinic (e.g. a new clinic's first admin); audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="the clinic's code, e.g. BOS")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="", help="full name, for someone new")
        parser.add_argument("--credentials", default="")
        parser.add_argument("--reason", required=True, help="kept in the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(code=str(options["clinic"]).upper()).first()
        if clinic is None:
            msg = f"No clinic has the code {options['clinic']!r}."
            raise CommandError(msg)
        links: list[str] = []

        def link(user: User) -> str:
            path = reverse(
                "administration:welcome", args=[user.public_id, services.invitation_token(user)]
            )
            url = (settings.BASE_URL or "") + path
            links.append(url)
            return url

        try:
            result = services.grant_role(
                actor=None,
                clinic=clinic,
                email=options["email"],
                role=options["role"],
                full_name=options["name"],
                credentials=options["credentials"],
                link=link,
                purpose=options["reason"],
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        person = result.membership.user
        self.stdout.write(
            f"{person.email} is now {result.membership.get_role_display()} at {clinic.name}."
        )
        if links:
            self.stdout.write(f"Invitation e-mailed; the link to choose a password: {links[0]}")
        # Setting up a clinic: it gets kapclinic's treatment protocol templates (issue 13.1).
        shipped = ensure_shipped_protocols(clinic=clinic)
        if shipped:
            self.stdout.write(
                f"{len(shipped)} treatment protocol templates given to {clinic.name}."
            )
