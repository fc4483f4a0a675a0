"""One real request per route of session notes and REMS forms (issue 15.8), for the
route-by-role tests: an esketamine session of the home clinic opened through dosing's service
(``open_session``, once per database). The POSTs carry no text: refused, nothing written."""

from __future__ import annotations

from uuid import uuid4

from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import Capability
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import Modality
from tests.architecture.routing import Call, World


def _session(world: World) -> DosingSession:
    appointment = (
        Appointment.objects.filter(
            clinic=world.home,
            course__protocol__modality=Modality.ESKETAMINE_REMS.value,
            session_type__in=("induction-dose", "maintenance-dose"),
        )
        .order_by("starts_at", "id")
        .first()
    )
    assert appointment is not None, "the demo books esketamine dosing appointments"
    nurse = User.objects.filter(
        memberships__clinic=world.home, memberships__role=Role.NURSE
    ).order_by("id")[0]
    actor = Actor.for_user(nurse, world.home)
    return services.open_session(actor=actor, appointment=appointment, now=timezone.now())


def dosing_notes_routes(world: World) -> dict[str, Call]:
    session = _session(world).public_id
    return {
        "dosing:notes": Call(
            "GET", reverse("dosing:notes", args=[session]), Capability.WRITE_SESSION_NOTES
        ),
        "dosing:note_draft": Call(
            "POST",
            reverse("dosing:note_draft", args=[session]),
            Capability.WRITE_SESSION_NOTES,
            ok=frozenset({422}),
        ),
        # No such note of this session: 404 to those who may add an addendum.
        "dosing:note_addendum": Call(
            "POST",
            reverse("dosing:note_addendum", args=[session, uuid4()]),
            Capability.WRITE_SESSION_NOTES,
            ok=frozenset({404}),
        ),
        "dosing:rems_form": Call(
            "GET", reverse("dosing:rems_form", args=[session]), Capability.TRACK_REMS_FORMS
        ),
        "dosing:rems_forms": Call("GET", reverse("dosing:rems_forms"), Capability.TRACK_REMS_FORMS),
    }
