"""One real request per diagnosis route, for the route-by-role tests."""

from __future__ import annotations

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from tests.architecture.routing import Call, World


def diagnosis_routes(world: World) -> dict[str, Call]:
    return {
        "patients:diagnoses": Call(
            "GET",
            reverse("patients:diagnoses", args=[world.patient.public_id]),
            Capability.RECORD_DIAGNOSES,
        ),
        "patients:diagnosis-codes": Call(
            "GET", reverse("patients:diagnosis-codes") + "?q=F33", Capability.RECORD_DIAGNOSES
        ),
    }
