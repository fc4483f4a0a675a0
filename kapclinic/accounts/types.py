from __future__ import annotations

from django.http import HttpRequest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, StaffMembership, User
from kapclinic.accounts.permissions import Capability


class ClinicRequest(HttpRequest):
    """A request from a signed-in user, with the clinic they are working in (ClinicMiddleware)."""

    user: User
    clinic: Clinic | None
    memberships: list[StaffMembership]
    # The user's roles in the current clinic ({"patient"} for a portal user).
    roles: frozenset[str]
    # The user, their roles and current clinic as one value (kapclinic.accounts.actor).
    actor: Actor
    # The capability the view declares with @requires (set when the view runs).
    capability: Capability
    request_id: str
