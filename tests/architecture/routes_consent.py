"""One real request per consent route, for the route-by-role tests."""

from __future__ import annotations

from uuid import uuid4

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.consent.models import TreatmentType
from tests.architecture.routing import Call, World


def consent_routes(world: World) -> dict[str, Call]:
    patient = world.patient.public_id
    return {
        "consent:documents": Call(
            "GET", reverse("consent:documents"), Capability.MANAGE_CONSENT_DOCUMENTS
        ),
        "consent:patient": Call(
            "GET", reverse("consent:patient", args=[patient]), Capability.RECORD_CONSENT
        ),
        "consent:sign": Call(
            "GET",
            reverse("consent:sign", args=[patient, TreatmentType.RACEMIC_KETAMINE_OFF_LABEL]),
            Capability.RECORD_CONSENT,
        ),
        # No such record: those allowed to countersign or withdraw get 404.
        "consent:countersign": Call(
            "POST",
            reverse("consent:countersign", args=[uuid4()]),
            Capability.RECORD_CONSENT,
            ok=frozenset({404}),
        ),
        "consent:withdraw": Call(
            "POST",
            reverse("consent:withdraw", args=[uuid4()]),
            Capability.RECORD_CONSENT,
            data={"reason": "changed my mind"},
            ok=frozenset({404}),
        ),
    }
