from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.exceptions import DiagnosisError
from kapclinic.patients.icd10 import all_codes, billable
from kapclinic.patients.models import Diagnosis, Patient
from kapclinic.patients.services import (
    add_diagnosis,
    enter_diagnosis_in_error,
    resolve_diagnosis,
    set_primary_diagnosis,
)

TODAY = date(2026, 11, 25)
Status = Diagnosis.Status


@pytest.fixture
def patient(clinics: list[Clinic], new_patient: Callable[..., Patient]) -> Patient:
    """A newly registered patient: no diagnoses yet (generated patients have some)."""
    return new_patient(clinics[0])


@pytest.fixture
def prescriber(demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.PRESCRIBER)


def _add(actor: User, patient: Patient, code: str, *, primary: bool = False) -> Diagnosis:
    return add_diagnosis(
        actor=Actor(user=actor, roles=frozenset({Role.PRESCRIBER})),
        patient=patient,
        icd10_code=code,
        noted_on=date(2026, 3, 1),
        is_primary=primary,
        today=TODAY,
    )


# --- the code list's rules ------------------------------------------------------------------


def test_a_category_is_refused_with_an_example_of_a_code_under_it() -> None:
    with pytest.raises(DiagnosisError) as error:
        billable("F43.1")
    assert error.value.message == (
        "F43.1 (Post-traumatic stress disorder (PTSD)) is a category, not a code to record: "
        "choose a more specific one, e.g. F43.10 (Post-traumatic stress disorder, unspecified)."
    )


def test_every_category_has_a_billable_code_under_it() -> None:
    for code in all_codes():
        if not code.billable:
            billable_under = [
                c for c in all_codes() if c.billable and c.compact.startswith(code.compact)
            ]
            assert billable_under, code.code


# --- services -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_takes_the_title_from_the_code_list_and_audits_it(
    patient: Patient, prescriber: User
) -> None:
    diagnosis = _add(prescriber, patient, "f33.1", primary=True)
    assert (diagnosis.icd10_code, diagnosis.display) == (
        "F33.1",
        "Major depressive disorder, recurrent, moderate",
    )
    assert diagnosis.is_primary
    assert diagnosis.status == Status.ACTIVE
    event = AuditEvent.objects.get(action="patients.diagnosis_added")
    assert event.operation == Operation.CREATE
    assert event.patient_public_id == patient.public_id
    assert event.changes["icd10_code"] == [None, "F33.1"]
    assert event.changes["is_primary"] == [None, True]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "noted_on", "message"),
    [
        ("F99.99", date(2026, 3, 1), "is not an ICD-10-CM code in kapclinic's list"),
        ("I25.10", date(2026, 3, 1), "is not an ICD-10-CM code in kapclinic's list"),
        ("F33", date(2026, 3, 1), "is a category"),
        ("F33.1", date(2026, 11, 26), "cannot be noted in the future"),
        ("F33.1", date(1990, 5, 31), "before the patient's birth"),
    ],
)
def test_bad_codes_and_dates_are_refused_and_nothing_is_written(
    patient: Patient, prescriber: User, code: str, noted_on: date, message: str
) -> None:
    with pytest.raises(DiagnosisError, match=message):
        add_diagnosis(
            actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
            patient=patient,
            icd10_code=code,
            noted_on=noted_on,
            is_primary=True,
            today=TODAY,
        )
    assert not patient.diagnoses.exists()
    assert not AuditEvent.objects.filter(action__startswith="patients.diagnosis").exists()


@pytest.mark.django_db
def test_the_same_active_code_twice_is_refused(patient: Patient, prescriber: User) -> None:
    _add(prescriber, patient, "F41.1")
    with pytest.raises(DiagnosisError, match="already an active diagnosis"):
        _add(prescriber, patient, "F41.1")
    assert patient.diagnoses.count() == 1


@pytest.mark.django_db
def test_a_new_primary_demotes_the_old_one_and_both_changes_are_audited(
    patient: Patient, prescriber: User
) -> None:
    old = _add(prescriber, patient, "F32.A", primary=True)
    new = _add(prescriber, patient, "F33.1", primary=True)
    old.refresh_from_db()
    assert not old.is_primary
    assert new.is_primary
    demoted = AuditEvent.objects.get(action="patients.diagnosis_primary_changed")
    assert demoted.target == f"patients.Diagnosis:{old.public_id}"
    assert demoted.changes == {"is_primary": [True, False]}
    assert demoted.detail == {"replaced_by": "F33.1"}


@pytest.mark.django_db
def test_changing_the_primary_moves_the_flag(patient: Patient, prescriber: User) -> None:
    first = _add(prescriber, patient, "F33.1", primary=True)
    second = _add(prescriber, patient, "F41.1")
    set_primary_diagnosis(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})), diagnosis=second
    )
    assert list(patient.diagnoses.filter(is_primary=True).values_list("icd10_code", flat=True)) == [
        "F41.1"
    ]
    first.refresh_from_db()
    assert not first.is_primary
    assert AuditEvent.objects.filter(action="patients.diagnosis_primary_changed").count() == 2
    # Already primary: nothing more is written.
    set_primary_diagnosis(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})), diagnosis=second
    )
    assert AuditEvent.objects.filter(action="patients.diagnosis_primary_changed").count() == 2


@pytest.mark.django_db
def test_resolving_the_primary_takes_its_flag_and_it_cannot_become_primary_again(
    patient: Patient, prescriber: User
) -> None:
    diagnosis = _add(prescriber, patient, "F43.10", primary=True)
    resolve_diagnosis(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})), diagnosis=diagnosis
    )
    diagnosis.refresh_from_db()
    assert (diagnosis.status, diagnosis.is_primary) == (Status.RESOLVED, False)
    event = AuditEvent.objects.get(action="patients.diagnosis_status_changed")
    assert event.changes == {"status": ["active", "resolved"], "is_primary": [True, False]}
    with pytest.raises(DiagnosisError, match="Only an active diagnosis can be primary"):
        set_primary_diagnosis(
            actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})), diagnosis=diagnosis
        )
    with pytest.raises(DiagnosisError, match="cannot be marked resolved"):
        resolve_diagnosis(
            actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})), diagnosis=diagnosis
        )


@pytest.mark.django_db
def test_entered_in_error_needs_a_reason_keeps_the_row_and_audits_the_reason(
    patient: Patient, prescriber: User
) -> None:
    diagnosis = _add(prescriber, patient, "F31.81")
    with pytest.raises(DiagnosisError, match="Give the reason in words"):
        enter_diagnosis_in_error(
            actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
            diagnosis=diagnosis,
            reason="  no ",
        )
    enter_diagnosis_in_error(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
        diagnosis=diagnosis,
        reason="Wrong patient",
    )
    diagnosis.refresh_from_db()
    assert diagnosis.status == Status.ENTERED_IN_ERROR
    event = AuditEvent.objects.get(action="patients.diagnosis_status_changed")
    assert event.changes == {"status": ["active", "entered_in_error"]}
    assert event.detail == {"reason": "Wrong patient"}
    with pytest.raises(DiagnosisError, match="cannot be marked entered in error"):
        enter_diagnosis_in_error(
            actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
            diagnosis=diagnosis,
            reason="Again, twice",
        )
    # The same code may be recorded again, correctly this time.
    assert _add(prescriber, patient, "F31.81").status == Status.ACTIVE


# --- the page -------------------------------------------------------------------------------


def _url(patient: Patient) -> str:
    return reverse("patients:diagnoses", args=[patient.public_id])


def _add_form(code: str, **extra: str) -> dict[str, str]:
    return {"form": "add", "q": code, "icd10_code": code, "noted_on": "2026-03-01", **extra}


@pytest.mark.django_db
def test_a_therapist_adds_a_primary_diagnosis_and_the_chart_shows_it(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    therapist = client_for(Role.THERAPIST)
    response = therapist.post(_url(patient), _add_form("F43.12", is_primary="on"))
    assert response.status_code == 302
    chart = therapist.get(reverse("patients:chart", args=[patient.public_id])).content.decode()
    assert "F43.12</strong> Post-traumatic stress disorder, chronic (primary)" in chart
    assert _url(patient) in chart


@pytest.mark.django_db
def test_the_page_suggests_codes_for_the_search_text(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    page = client_for(Role.PRESCRIBER).get(_url(patient), {"q": "F33"}).content.decode()
    assert 'value="F33.1"' in page
    assert "(category: choose a code below it)" in page
    assert AuditEvent.objects.filter(action="patients.diagnoses_opened").count() == 1


@pytest.mark.django_db
def test_the_code_search_answers_htmx_with_the_results_only_and_audits_nothing(
    client_for: Callable[[Role], Client],
) -> None:
    client = client_for(Role.PRESCRIBER)
    before = AuditEvent.objects.count()
    response = client.get(reverse("patients:diagnosis-codes"), {"q": "ptsd"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<div id="code-results"')
    assert "F43.1</strong> Post-traumatic stress disorder (PTSD)" in body
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_add_form("F43.1"), "is a category, not a code to record"),
        (_add_form("Z99.99"), "is not an ICD-10-CM code in kapclinic"),
        (_add_form("F33.1", noted_on="2099-01-01"), "cannot be noted in the future"),
        ({"form": "add", "q": "F33", "noted_on": "2026-03-01"}, "then choose one of the results"),
    ],
)
def test_a_bad_choice_shows_a_field_error_and_keeps_the_search(
    client_for: Callable[[Role], Client], patient: Patient, data: dict[str, str], message: str
) -> None:
    response = client_for(Role.PRESCRIBER).post(_url(patient), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert f'value="{data["q"]}"' in page
    assert not patient.diagnoses.exists()


@pytest.mark.django_db
def test_resolve_primary_and_entered_in_error_from_the_page(
    client_for: Callable[[Role], Client], patient: Patient, prescriber: User
) -> None:
    client = client_for(Role.PRESCRIBER)
    depression = _add(prescriber, patient, "F33.1", primary=True)
    anxiety = _add(prescriber, patient, "F41.1")
    mistake = _add(prescriber, patient, "F42.2")

    def change(diagnosis: Diagnosis, what: str, reason: str = "") -> int:
        data = {"form": "change", "diagnosis": str(diagnosis.public_id), "change": what}
        return client.post(_url(patient), {**data, "reason": reason}).status_code

    assert change(anxiety, "primary") == 302
    assert change(depression, "resolve") == 302
    assert change(mistake, "error") == 422  # no reason given
    assert change(mistake, "error", "Recorded for the wrong patient") == 302
    rows = {d.icd10_code: (d.status, d.is_primary) for d in patient.diagnoses.all()}
    assert rows == {
        "F33.1": (Status.RESOLVED, False),
        "F41.1": (Status.ACTIVE, True),
        "F42.2": (Status.ENTERED_IN_ERROR, False),
    }
    page = client.get(_url(patient)).content.decode()
    problem_list = page.split('id="dx-list-heading"')[1].split('id="dx-add-heading"')[0]
    assert "F41.1" in problem_list
    assert "F42.2" not in problem_list


@pytest.mark.django_db
def test_another_patients_diagnosis_answers_404_and_changes_nothing(
    client_for: Callable[[Role], Client], patient: Patient, prescriber: User
) -> None:
    other = Patient.objects.exclude(pk=patient.pk).filter(clinic=patient.clinic).first()
    assert other is not None
    theirs = other.diagnoses.first()
    assert theirs is not None
    response = client_for(Role.PRESCRIBER).post(
        _url(patient),
        {"form": "change", "diagnosis": str(theirs.public_id), "change": "resolve"},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.ACTIVE


@pytest.mark.django_db
def test_a_patient_of_another_clinic_answers_404(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    elsewhere = Patient.objects.filter(clinic=clinics[1]).first()
    assert elsewhere is not None
    # The demo therapist works in the first clinic only (the demo prescriber in both).
    client = client_for(Role.THERAPIST)
    assert client.get(_url(elsewhere)).status_code == 404
    response = client.post(_url(elsewhere), _add_form("F33.1"))
    assert response.status_code == 404
    assert not elsewhere.diagnoses.filter(icd10_code="F33.1", noted_on=date(2026, 3, 1)).exists()


@pytest.mark.django_db
def test_nurses_read_diagnoses_on_the_chart_but_cannot_change_them(
    client_for: Callable[[Role], Client], patient: Patient, prescriber: User
) -> None:
    _add(prescriber, patient, "F33.1", primary=True)
    nurse = client_for(Role.NURSE)
    chart = nurse.get(reverse("patients:chart", args=[patient.public_id])).content.decode()
    assert "F33.1" in chart
    assert _url(patient) not in chart
    assert nurse.post(_url(patient), _add_form("F41.1")).status_code == 403
    assert patient.diagnoses.count() == 1
