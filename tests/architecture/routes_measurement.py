"""One real request per questionnaire-administration route, for the route-by-role tests."""

from __future__ import annotations

from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, StaffMembership
from kapclinic.accounts.permissions import Capability
from kapclinic.measurement.models import Assessment, Mode
from kapclinic.measurement.responses.services import start_assessment
from tests.architecture.routing import Call, World


def _assessment(world: World) -> Assessment:
    """An in-progress PHQ-9 of the world's patient (created once per test)."""
    existing = (
        Assessment.objects.filter(
            patient=world.patient, instrument_code="phq9", status=Assessment.Status.IN_PROGRESS
        )
        .order_by("id")
        .first()
    )
    if existing is not None:
        return existing
    nurse = (
        StaffMembership.objects.filter(clinic=world.home, role=Role.NURSE, is_active=True)
        .select_related("user")
        .order_by("id")[0]
    )
    return start_assessment(
        actor=Actor(user=nurse.user, roles=frozenset({Role.NURSE})),
        patient=world.patient,
        instrument_code="phq9",
        mode=Mode.STAFF,
    )


def measurement_routes(world: World) -> dict[str, Call]:
    response = _assessment(world).public_id
    return {
        "api POST /patients/{public_id}/questionnaire-responses": Call(
            "POST",
            f"/api/v1/patients/{world.patient.public_id}/questionnaire-responses",
            Capability.ADMINISTER_QUESTIONNAIRES,
            json={"instrument": "gad7", "answers": {f"gad7_{n}": 1 for n in range(1, 8)}},
            ok=frozenset({201}),
        ),
        "api GET /patients/{public_id}/questionnaires-due": Call(
            "GET",
            f"/api/v1/patients/{world.patient.public_id}/questionnaires-due",
            Capability.ADMINISTER_QUESTIONNAIRES,
        ),
        "measurement:patient": Call(
            "GET",
            reverse("measurement:patient", args=[world.patient.public_id]),
            Capability.ADMINISTER_QUESTIONNAIRES,
        ),
        "measurement:administer": Call(
            "GET",
            reverse("measurement:administer", args=[response]),
            Capability.ADMINISTER_QUESTIONNAIRES,
        ),
        # An unfinished response: a fresh link is shown once.
        "measurement:new-link": Call(
            "POST",
            reverse("measurement:new-link", args=[response]),
            Capability.ADMINISTER_QUESTIONNAIRES,
        ),
        # Not completed, so nothing to amend: back to the response with the reason.
        "measurement:amend": Call(
            "POST",
            reverse("measurement:amend", args=[response]),
            Capability.ADMINISTER_QUESTIONNAIRES,
            ok=frozenset({302}),
        ),
        # No reason given: back to the response with the message; nothing changes.
        "measurement:entered-in-error": Call(
            "POST",
            reverse("measurement:entered-in-error", args=[response]),
            Capability.ADMINISTER_QUESTIONNAIRES,
            ok=frozenset({302}),
        ),
    }


def patient_mode_routes(world: World) -> dict[str, Call]:
    """Tablet patient mode, checked last: once entered, every other route of the session leads
    back to the questionnaire (signing out, checked after it, still works)."""
    response = _assessment(world).public_id
    return {
        # Not in patient mode: nothing to hand back, on to the start page.
        "measurement:patient-mode-leave": Call(
            "GET",
            reverse("measurement:patient-mode-leave"),
            Capability.ADMINISTER_QUESTIONNAIRES,
            ok=frozenset({302}),
        ),
        # Handed to the patient: on to the questionnaire in patient mode.
        "measurement:patient-mode-enter": Call(
            "POST",
            reverse("measurement:patient-mode-enter", args=[response]),
            Capability.ADMINISTER_QUESTIONNAIRES,
            ok=frozenset({302}),
        ),
    }
