from __future__ import annotations

from django.http import HttpRequest

from kapclinic.accounts.models import Clinic, StaffMembership, User


class ClinicRequest(HttpRequest):
    """A request from a signed-in user, with the clinic they are working in (ClinicMiddleware)."""

    user: User
    clinic: Clinic | None
    memberships: list[StaffMembership]
    # The user's roles in the current clinic ({"patient"} for a portal user).
    roles: frozenset[str]
    request_id: str
