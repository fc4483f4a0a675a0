from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.interactions import InteractionClass, classify
from kapclinic.patients.models import Allergy, Medication, Patient, RecordStatus


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ativan (lorazepam) 1 mg", InteractionClass.BENZODIAZEPINE),
        ("Zolpidem 10mg at night", InteractionClass.HYPNOTIC),
        ("Suboxone (buprenorphine/naloxone)", InteractionClass.OPIOID),
        ("Adderall XR (amphetamine)", InteractionClass.PSYCHOSTIMULANT),
        ("Nardil phenelzine", InteractionClass.MAOI),
        ("LAMOTRIGINE 200 mg", InteractionClass.LAMOTRIGINE),
        ("Sertraline 100 mg", InteractionClass.NONE),
    ],
)
def test_drug_names_are_classed_for_ketamine_interactions(
    name: str, expected: InteractionClass
) -> None:
    assert classify(name) == expected


@pytest.fixture
def patient(clinics: list[Clinic], new_patient: Callable[..., Patient]) -> Patient:
    """A newly registered patient: no history yet (generated patients have some)."""
    return new_patient(clinics[0])


def _url(patient: Patient) -> str:
    return reverse("patients:history", args=[patient.public_id])


@pytest.mark.django_db
def test_a_benzodiazepine_is_flagged_on_the_chart(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    nurse = client_for(Role.NURSE)
    response = nurse.post(
        _url(patient),
        {"form": "medication", "name": "Klonopin (clonazepam)", "dose": "0.5 mg twice daily"},
    )
    assert response.status_code == 302
    medication = Medication.objects.get(patient=patient)
    assert medication.interaction_class == InteractionClass.BENZODIAZEPINE
    chart = nurse.get(reverse("patients:chart", args=[patient.public_id])).content.decode()
    assert "Benzodiazepine (more sedation)" in chart
    event = AuditEvent.objects.get(action="patients.medication_added")
    assert event.operation == Operation.CREATE


@pytest.mark.django_db
def test_a_chosen_class_wins_over_name_recognition(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    client_for(Role.PRESCRIBER).post(
        _url(patient),
        {"form": "medication", "name": "Compounded sleep aid", "interaction_class": "hypnotic"},
    )
    assert Medication.objects.get(patient=patient).interaction_class == InteractionClass.HYPNOTIC


@pytest.mark.django_db
def test_ketamine_hypersensitivity_is_shown_as_a_contraindication(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    nurse = client_for(Role.NURSE)
    nurse.post(
        _url(patient),
        {
            "form": "allergy",
            "substance": "Ketamine",
            "reaction": "rash, wheeze",
            "severity": "severe",
        },
    )
    chart = nurse.get(reverse("patients:chart", args=[patient.public_id])).content.decode()
    assert "Contraindication: ketamine hypersensitivity (R-SCR-1)" in chart


@pytest.mark.django_db
def test_records_are_stopped_or_marked_in_error_never_deleted(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    nurse = client_for(Role.NURSE)
    nurse.post(_url(patient), {"form": "medication", "name": "Methylphenidate"})
    medication = Medication.objects.get(patient=patient)
    nurse.post(
        _url(patient),
        {
            "form": "status",
            "kind": "medication",
            "record": str(medication.public_id),
            "status": "entered_in_error",
        },
    )
    medication.refresh_from_db()
    assert medication.status == RecordStatus.ENTERED_IN_ERROR
    assert "Methylphenidate" not in nurse.get(_url(patient)).content.decode()
    event = AuditEvent.objects.get(action="patients.history_status_changed")
    assert event.changes == {"status": ["active", "entered_in_error"]}


@pytest.mark.django_db
def test_another_patients_record_cannot_be_changed_through_this_page(
    client_for: Callable[[Role], Client],
    patient: Patient,
    clinics: list[Clinic],
    new_patient: Callable[..., Patient],
) -> None:
    nurse = client_for(Role.NURSE)
    other = new_patient(clinics[0])
    nurse.post(_url(other), {"form": "allergy", "substance": "Penicillin", "severity": "mild"})
    allergy = Allergy.objects.get(patient=other)
    response = nurse.post(
        _url(patient),
        {
            "form": "status",
            "kind": "allergy",
            "record": str(allergy.public_id),
            "status": "stopped",
        },
    )
    assert response.status_code == 404
    allergy.refresh_from_db()
    assert allergy.status == RecordStatus.ACTIVE


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"form": "medication", "name": ""}, "This field is required"),
        ({"form": "allergy", "substance": "Latex", "severity": "deadly"}, "Select a valid choice"),
        ({"form": "status", "kind": "nope", "record": "x", "status": "gone"}, ""),
    ],
)
def test_bad_history_input_is_refused(
    client_for: Callable[[Role], Client], patient: Patient, data: dict[str, str], message: str
) -> None:
    response = client_for(Role.NURSE).post(_url(patient), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Medication.objects.filter(patient=patient).exists()
    assert not Allergy.objects.filter(patient=patient).exists()
