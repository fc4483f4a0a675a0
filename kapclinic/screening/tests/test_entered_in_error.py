"""Marking a screening entered in error: who may, the written reason, what stops counting, the
audit entry and the page (house style §3.3: a record entered by mistake is never deleted)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor, as_roles
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.core.reasons import reason_message
from kapclinic.patients.models import Patient
from kapclinic.screening.exceptions import ScreeningForbiddenError, ScreeningRefusedError
from kapclinic.screening.facts import Finding
from kapclinic.screening.models import EligibilityDecision, Screening
from kapclinic.screening.rules import Family
from kapclinic.screening.selectors import current_eligibility, list_screenings
from kapclinic.screening.services import (
    mark_entered_in_error,
    record_screening,
    sign_decision,
)
from kapclinic.screening.tests.factories import answers

pytestmark = pytest.mark.django_db

NURSE = frozenset({Role.NURSE})
PRESCRIBER = frozenset({Role.PRESCRIBER})
REASON = "Recorded for the wrong patient (same surname)."


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def _record(user: User, patient: Patient, **changes: object) -> Screening:
    return record_screening(
        actor=Actor(user=user, roles=frozenset(NURSE)),
        patient=patient,
        answers=answers(**changes),
        now=timezone.now(),
    )


def _signed(nurse: User, prescriber: User, patient: Patient) -> EligibilityDecision:
    screening = _record(nurse, patient)
    return sign_decision(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        screening=screening,
        notes="",
        now=timezone.now(),
    )


def _other_nurse(clinic: Clinic, not_this: User) -> User:
    membership = (
        StaffMembership.objects.filter(clinic=clinic, role=Role.NURSE, is_active=True)
        .exclude(user=not_this)
        .select_related("user")
        .order_by("id")
        .first()
    )
    assert membership is not None
    return membership.user


def _mark(actor: User, roles: frozenset[str], screening: Screening, reason: str = REASON) -> None:
    mark_entered_in_error(
        actor=Actor(user=actor, roles=as_roles(roles)),
        screening=screening,
        reason=reason,
        now=timezone.now(),
    )


# --- services --------------------------------------------------------------------------------


def test_the_recorder_marks_their_own_unsigned_screening_and_it_is_kept_with_who_when_why(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    nurse = demo_user(Role.NURSE)
    screening = _record(nurse, patient)
    now = timezone.now()
    marked = mark_entered_in_error(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        screening=screening,
        reason=f"  {REASON}\u202e ",
        now=now,
    )
    marked.refresh_from_db()
    assert marked.status == Screening.Status.ENTERED_IN_ERROR
    assert marked.entered_in_error_reason == REASON
    assert marked.entered_in_error_by == nurse
    assert marked.entered_in_error_at == now
    assert marked.outcome == "eligible"  # the evaluated result is kept as it was
    assert [s.pk for s in list_screenings(patient)] == [screening.pk]


def test_the_audit_entry_names_the_old_and_new_status_and_the_reason(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    decision = _signed(nurse, prescriber, patient)
    _mark(prescriber, PRESCRIBER, decision.screening)
    event = AuditEvent.objects.get(action="screening.entered_in_error")
    assert event.operation == Operation.UPDATE
    assert event.actor == prescriber
    assert event.actor_roles == "prescriber"
    assert event.patient_public_id == patient.public_id
    assert event.clinic_public_id == patient.clinic.public_id
    assert event.target == f"screening.Screening:{decision.screening.public_id}"
    assert event.changes == {
        "status": ["signed", "entered_in_error"],
        "entered_in_error_reason": ["", REASON],
    }
    assert event.detail == {
        "family": "racemic_ketamine",
        "outcome": "eligible",
        "decision": str(decision.public_id),
        "decision_outcome": "eligible",
    }


@pytest.mark.parametrize("reason", ["", "too short", "         ", "\u202e" * 20, "ab\u200bcd" * 2])
def test_a_reason_shorter_than_ten_visible_characters_is_refused_and_nothing_changes(
    demo_user: Callable[[Role], User], patient: Patient, reason: str
) -> None:
    nurse = demo_user(Role.NURSE)
    screening = _record(nurse, patient)
    with pytest.raises(ScreeningRefusedError, match="at least 10 characters"):
        _mark(nurse, NURSE, screening, reason)
    screening.refresh_from_db()
    assert screening.status == Screening.Status.EVALUATED
    assert screening.entered_in_error_reason == ""
    assert not AuditEvent.objects.filter(action="screening.entered_in_error").exists()


def test_a_screening_already_entered_in_error_is_refused(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    prescriber = demo_user(Role.PRESCRIBER)
    screening = _record(demo_user(Role.NURSE), patient)
    _mark(prescriber, PRESCRIBER, screening)
    with pytest.raises(ScreeningRefusedError, match="already marked entered in error"):
        _mark(prescriber, PRESCRIBER, screening, "A second, different reason.")
    screening.refresh_from_db()
    assert screening.entered_in_error_reason == REASON
    assert AuditEvent.objects.filter(action="screening.entered_in_error").count() == 1


def test_roles_without_the_right_and_other_clinicians_are_forbidden(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    unsigned = _record(nurse, patient)
    signed = _signed(nurse, prescriber, patient).screening
    other_nurse = _other_nurse(patient.clinic, not_this=nurse)
    refused = [
        (demo_user(Role.THERAPIST), frozenset({Role.THERAPIST}), unsigned),
        (demo_user(Role.FRONT_DESK), frozenset({Role.FRONT_DESK}), unsigned),
        (demo_user(Role.CLINIC_ADMIN), frozenset({Role.CLINIC_ADMIN}), unsigned),
        # A nurse may retract only what they recorded ...
        (other_nurse, NURSE, unsigned),
        # ... and only until a prescriber has signed a decision on it.
        (nurse, NURSE, signed),
    ]
    for actor, roles, screening in refused:
        with pytest.raises(ScreeningForbiddenError):
            _mark(actor, roles, screening)
    assert not Screening.objects.filter(status=Screening.Status.ENTERED_IN_ERROR).exists()
    assert not AuditEvent.objects.filter(action="screening.entered_in_error").exists()


def test_a_prescriber_who_no_longer_works_in_the_screenings_clinic_is_forbidden(
    demo_user: Callable[[Role], User], clinics: list[Clinic]
) -> None:
    other_patient = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    prescriber = demo_user(Role.PRESCRIBER)
    StaffMembership.objects.filter(user=prescriber, clinic=clinics[1]).update(is_active=False)
    screening = _record(demo_user(Role.NURSE), other_patient)
    with pytest.raises(ScreeningForbiddenError):
        _mark(prescriber, PRESCRIBER, screening)
    screening.refresh_from_db()
    assert screening.status != Screening.Status.ENTERED_IN_ERROR


def test_a_prescriber_marks_any_screening_even_one_another_clinician_recorded(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _record(_other_nurse(patient.clinic, demo_user(Role.NURSE)), patient)
    _mark(demo_user(Role.PRESCRIBER), PRESCRIBER, screening)
    screening.refresh_from_db()
    assert screening.status == Screening.Status.ENTERED_IN_ERROR


def test_a_screening_in_error_no_longer_changes_by_override_or_signature(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    prescriber = demo_user(Role.PRESCRIBER)
    screening = _record(demo_user(Role.NURSE), patient)
    _mark(prescriber, PRESCRIBER, screening)
    with pytest.raises(ScreeningRefusedError, match="entered in error"):
        sign_decision(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=screening,
            notes="",
            now=timezone.now(),
        )
    assert not EligibilityDecision.objects.filter(screening=screening).exists()


# --- what stops counting ------------------------------------------------------------------------


def test_current_eligibility_skips_a_screening_entered_in_error_and_its_decision(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    earlier = sign_decision(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        screening=_record(nurse, patient, findings=frozenset({Finding.AVM})),
        notes="",
        now=timezone.now(),
    )
    latest = _signed(nurse, prescriber, patient)
    assert current_eligibility(patient, Family.RACEMIC_KETAMINE) == latest
    _mark(prescriber, PRESCRIBER, latest.screening)
    # The decision row is kept; the earlier signed decision counts again.
    assert EligibilityDecision.objects.filter(pk=latest.pk).exists()
    assert current_eligibility(patient, Family.RACEMIC_KETAMINE) == earlier
    _mark(prescriber, PRESCRIBER, earlier.screening)
    assert current_eligibility(patient, Family.RACEMIC_KETAMINE) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "entered_in_error"},
        {"status": "entered_in_error", "entered_in_error_reason": "short"},
        {"entered_in_error_reason": "A reason without the status."},
    ],
)
def test_the_database_requires_reason_time_and_author_exactly_when_in_error(
    demo_user: Callable[[Role], User], patient: Patient, changes: dict[str, object]
) -> None:
    nurse = demo_user(Role.NURSE)
    screening = _record(nurse, patient)
    if changes.get("status"):
        changes = {**changes, "entered_in_error_at": timezone.now(), "entered_in_error_by": nurse}
    with pytest.raises(IntegrityError), transaction.atomic():
        Screening.objects.filter(pk=screening.pk).update(**changes)


# --- the page -----------------------------------------------------------------------------------


def _url(screening: Screening) -> str:
    return reverse("screening:entered-in-error", args=[screening.public_id])


def test_the_recorder_marks_it_from_the_detail_page_and_the_history_shows_it_struck_through(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _record(demo_user(Role.NURSE), patient)
    client = client_for(Role.NURSE)
    detail = reverse("screening:detail", args=[screening.public_id])
    page = client.get(detail).content.decode()
    assert f'action="{_url(screening)}"' in page
    response = client.post(_url(screening), {"reason": REASON})
    assert response.status_code == 302
    assert response["Location"] == detail
    page = client.get(detail).content.decode()
    assert "Entered in error" in page
    assert REASON in page
    assert "<del>Eligible</del>" in page
    assert f'action="{_url(screening)}"' not in page  # nothing left to mark
    history = client.get(reverse("screening:history", args=[patient.public_id])).content.decode()
    assert "<del>" in history
    assert "entered in error" in history
    assert REASON in history


def test_a_short_reason_is_shown_next_to_the_field_and_nothing_changes(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _record(demo_user(Role.NURSE), patient)
    response = client_for(Role.NURSE).post(_url(screening), {"reason": "oops"})
    assert response.status_code == 422
    assert reason_message(10) in response.content.decode()
    screening.refresh_from_db()
    assert screening.status == Screening.Status.EVALUATED


def test_the_page_refuses_other_roles_other_clinics_get_and_missing_csrf(
    client_for: Callable[[Role], Client],
    demo_user: Callable[[Role], User],
    patient: Patient,
    clinics: list[Clinic],
) -> None:
    nurse = demo_user(Role.NURSE)
    screening = _record(nurse, patient)
    assert client_for(Role.THERAPIST).post(_url(screening), {"reason": REASON}).status_code == 403
    other = Client()
    other.force_login(_other_nurse(patient.clinic, not_this=nurse))
    assert other.post(_url(screening), {"reason": REASON}).status_code == 403
    assert client_for(Role.NURSE).get(_url(screening)).status_code == 405
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(nurse)
    assert csrf.post(_url(screening), {"reason": REASON}).status_code == 403
    # Another clinic's screening answers 404, as a missing one does.
    prescriber = demo_user(Role.PRESCRIBER)
    StaffMembership.objects.filter(user=prescriber, clinic=clinics[1]).update(is_active=False)
    elsewhere = _record(nurse, Patient.objects.filter(clinic=clinics[1]).order_by("id")[0])
    response = client_for(Role.PRESCRIBER).post(_url(elsewhere), {"reason": REASON})
    assert response.status_code == 404
    assert not Screening.objects.filter(status=Screening.Status.ENTERED_IN_ERROR).exists()
