"""One real request per dosing session route, for the route-by-role tests (issue 15): a session
opened through the service for one of the home clinic's dosing appointments. POSTed actions
are refused by their forms or services (nothing typed, no dose yet) and change nothing a later
role's request depends on."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import Capability
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession
from kapclinic.scheduling.models import Appointment
from tests.architecture.routing import Call, World


def _session(world: World) -> DosingSession:
    appointment = (
        Appointment.objects.filter(clinic=world.home, kind="dosing").order_by("-starts_at").first()
    )
    assert appointment is not None
    nurse = User.objects.filter(
        memberships__clinic=world.home, memberships__role=Role.NURSE
    ).first()
    assert nurse is not None
    return services.open_session(
        actor=Actor.for_user(nurse, world.home), appointment=appointment, now=timezone.now()
    )


def dosing_routes(world: World) -> dict[str, Call]:
    session = _session(world)
    ids = [session.public_id]
    run = Capability.RUN_DOSING_SESSIONS

    def post(name: str, capability: Capability, ok: int) -> Call:
        return Call("POST", reverse(f"dosing:{name}", args=ids), capability, ok=frozenset({ok}))

    return {
        "dosing:today": Call("GET", reverse("dosing:today"), run),
        "dosing:session": Call("GET", reverse("dosing:session", args=ids), run),
        # A booked session is not in observation: the attestation is refused with a message.
        "dosing:attest": post("attest", run, 302),
        "dosing:move": post("move", run, 422),
        "dosing:escort": post("escort", run, 422),
        "dosing:dose": post("dose", Capability.RECORD_STOCK_USE, 422),
        "dosing:dose-preview": post("dose-preview", Capability.RECORD_STOCK_USE, 200),
        "dosing:integration": post("integration", run, 422),
        # The session is open already: check-in moves it or says why not, back to a page.
        "dosing:check-in": Call(
            "POST",
            reverse("dosing:check-in", args=[session.appointment.public_id]),
            run,
            ok=frozenset({302}),
        ),
    }
