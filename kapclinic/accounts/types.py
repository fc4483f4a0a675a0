from __future__ import annotations

from django.http import HttpRequest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, User
from kapclinic.accounts.permissions import Capability


class ClinicRequest(HttpRequest):
    """A request from a signed-in user, with the clinic they are working in (ClinicMiddleware)."""

    user: User
    clinic: Clinic | None
    # The user, their roles in the current clinic ({"patient"} for a portal user), all their
    # active memberships and the current clinic, as one value (kapclinic.accounts.actor).
    actor: Actor
    # The capability the view declares with @requires (set when the view runs).
    capability: Capability
    request_id: str
