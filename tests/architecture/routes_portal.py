"""One real request per portal route, for the route-by-role tests."""

from __future__ import annotations

from uuid import UUID

from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import SYSTEM, Actor
from kapclinic.accounts.models import Role, StaffMembership
from kapclinic.accounts.permissions import Capability
from kapclinic.consent.demo import seed_consent_documents
from kapclinic.consent.models import ConsentDocument, TreatmentType
from kapclinic.measurement.models import Assessment, Mode
from kapclinic.measurement.responses.services import start_assessment
from kapclinic.patients.models import Patient
from kapclinic.screening.selectors import current_eligibility
from kapclinic.screening.services import record_screening, sign_decision
from kapclinic.screening.tests.factories import COMPLETE
from tests.architecture.routes_plans import open_assignment
from tests.architecture.routing import Call, World


def _offer_racemic_consent(patient: Patient) -> None:
    """Published documents and a signed eligible screening: the portal then offers the racemic
    ketamine consent to the world's patient, the one signed in as the patient role (once per
    test)."""
    if current_eligibility(patient, "racemic_ketamine") is not None:
        return
    staff = {
        m.role: m.user
        for m in StaffMembership.objects.filter(clinic=patient.clinic, is_active=True)
        .select_related("user")
        .order_by("-id")
    }
    now = timezone.now()
    if not ConsentDocument.objects.filter(clinic=patient.clinic).exists():
        seed_consent_documents(
            clinic=patient.clinic, published_by=staff[Role.CLINIC_ADMIN], now=now
        )
    screening = record_screening(
        actor=Actor(user=staff[Role.NURSE], roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=COMPLETE,
        now=now,
    )
    sign_decision(
        actor=Actor(user=staff[Role.PRESCRIBER], roles=frozenset({Role.PRESCRIBER})),
        screening=screening,
        notes="",
        now=now,
    )


def _open_questionnaire(patient: Patient) -> UUID:
    """An unfinished GAD-7 of the world's patient, for the portal (once per test)."""
    existing = Assessment.objects.filter(
        patient=patient, instrument_code="gad7", status=Assessment.Status.IN_PROGRESS
    ).first()
    if existing is None:
        existing = start_assessment(
            actor=SYSTEM,
            patient=patient,
            instrument_code="gad7",
            mode=Mode.PORTAL,
        )
    return existing.public_id


def portal_routes(world: World) -> dict[str, Call]:
    _offer_racemic_consent(world.patient)
    questionnaire = _open_questionnaire(world.patient)
    return {
        "portal:questionnaire": Call(
            "GET",
            reverse("portal:questionnaire", args=[questionnaire]),
            Capability.ANSWER_OWN_QUESTIONNAIRES,
        ),
        "portal:home": Call("GET", reverse("portal:home"), Capability.VIEW_OWN_RECORD),
        "portal:calendar": Call("GET", reverse("portal:calendar"), Capability.VIEW_OWN_RECORD),
        # A due questionnaire of the plan: on to its (new or continued) response.
        "portal:start-due": Call(
            "POST",
            reverse("portal:start-due", args=[open_assignment(world).public_id]),
            Capability.ANSWER_OWN_QUESTIONNAIRES,
            ok=frozenset({302}),
        ),
        "portal:sign-consent": Call(
            "GET",
            reverse("portal:sign-consent", args=[TreatmentType.RACEMIC_KETAMINE_OFF_LABEL]),
            Capability.SIGN_OWN_CONSENT,
        ),
        # No choice posted: refused with a message, back to the portal's home.
        "portal:email-reminders": Call(
            "POST",
            reverse("portal:email-reminders"),
            Capability.SIGN_OWN_CONSENT,
            ok=frozenset({302}),
        ),
    }
