"""Merging a duplicate record: everything moves to the record that stays, the duplicate stays
as history, both audit trails say so, and every refusal writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.consent.demo import seed_consent_documents
from kapclinic.consent.models import ConsentRecord
from kapclinic.consent.services import record_patient_signature
from kapclinic.patients.exceptions import MergeError
from kapclinic.patients.models import Diagnosis, Patient
from kapclinic.patients.selectors import list_clinic_patients
from kapclinic.patients.services import (
    PatientDetails,
    add_diagnosis,
    add_medication,
    find_possible_duplicates,
    merge_patients,
    record_measurement,
    register_patient,
)
from kapclinic.referrals.models import Referral
from kapclinic.referrals.services import ContactDetails, record_clinician_referral
from kapclinic.screening.models import Screening
from kapclinic.screening.services import record_screening
from kapclinic.screening.tests.factories import COMPLETE

pytestmark = pytest.mark.django_db

ADMIN = (Role.CLINIC_ADMIN,)
REASON = "Registered twice: birth date typo corrected at the second visit."


@pytest.fixture
def pair(clinics: list[Clinic], demo_user: Callable[[Role], User]) -> tuple[Patient, Patient]:
    """An existing patient and a duplicate of them registered (on purpose) by the front desk."""
    survivor = Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]
    duplicate = register_patient(
        actor=Actor(user=demo_user(Role.FRONT_DESK), roles=frozenset({Role.FRONT_DESK})),
        clinic=clinics[0],
        details=PatientDetails(
            given_name=survivor.given_name,
            family_name=survivor.family_name,
            birth_date=survivor.birth_date,
            sex=survivor.sex,
            phone="555-0199",
        ),
        confirmed_different_person=True,
    )
    Patient.objects.filter(pk=survivor.pk).update(phone="")
    survivor.refresh_from_db()
    return survivor, duplicate


def _records_on(patient: Patient, staff: Callable[[Role], User]) -> None:
    nurse, prescriber = staff(Role.NURSE), staff(Role.PRESCRIBER)
    now = timezone.now()
    record_measurement(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        measured_on=now.date(),
        weight_kg=Decimal("80.0"),
        height_cm=None,
    )
    add_medication(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        name="Sertraline",
        dose="",
    )
    record_screening(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=COMPLETE,
        now=now,
    )
    document = seed_consent_documents(
        clinic=patient.clinic, published_by=staff(Role.CLINIC_ADMIN), now=now - timedelta(days=9)
    )[0]
    record_patient_signature(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
        patient=patient,
        document=document,
        typed_name=patient.full_name,
        agreed=True,
        now=now,
    )
    record_clinician_referral(
        actor=Actor(user=staff(Role.FRONT_DESK), roles=frozenset({Role.FRONT_DESK})),
        clinic=patient.clinic,
        contact=ContactDetails(
            given_name=patient.given_name,
            family_name=patient.family_name,
            birth_date=patient.birth_date,
            phone="",
            email="",
            contact_preference="phone",
            message="",
        ),
        clinician="Dr. Example",
        organisation="",
        clinician_contact="555-0100",
    )
    Referral.objects.filter(family_name=patient.family_name, patient=None).update(patient=patient)


def test_everything_on_the_duplicate_moves_and_the_duplicate_stays_as_history(
    pair: tuple[Patient, Patient], demo_user: Callable[[Role], User]
) -> None:
    survivor, duplicate = pair
    _records_on(duplicate, demo_user)
    before = {
        "measurements": survivor.measurements.count(),
        "medications": survivor.medications.count(),
    }
    merge_patients(
        actor=Actor(user=demo_user(Role.CLINIC_ADMIN), roles=frozenset(ADMIN)),
        survivor=survivor,
        duplicate=duplicate,
        reason=REASON,
        now=timezone.now(),
    )
    assert survivor.measurements.count() == before["measurements"] + 1
    assert survivor.medications.count() == before["medications"] + 1
    assert Screening.objects.filter(patient=survivor).count() == 1
    assert ConsentRecord.objects.filter(patient=survivor).count() == 1
    assert Referral.objects.filter(patient=survivor).count() == 1
    for model in (Screening, ConsentRecord, Referral):
        assert not model.objects.filter(patient=duplicate).exists()

    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert duplicate.merge_reason == REASON
    assert survivor.phone == "555-0199"  # filled from the duplicate: the survivor had none
    assert duplicate not in list_clinic_patients(survivor.clinic)
    details = PatientDetails(
        given_name=survivor.given_name,
        family_name=survivor.family_name,
        birth_date=survivor.birth_date,
        sex=survivor.sex,
    )
    assert find_possible_duplicates(survivor.clinic, details) == [survivor]

    into = AuditEvent.objects.get(action="patients.merged_into")
    assert into.patient_public_id == duplicate.public_id
    assert into.detail["moved"]["screening.Screening"] == 1
    came = AuditEvent.objects.get(action="patients.merged_from")
    assert came.patient_public_id == survivor.public_id
    assert came.changes["phone"] == ["", "555-0199"]


def test_the_survivors_primary_diagnosis_stays_the_only_primary(
    pair: tuple[Patient, Patient], demo_user: Callable[[Role], User]
) -> None:
    survivor, duplicate = pair
    prescriber = demo_user(Role.PRESCRIBER)
    today = survivor.clinic.local_today()
    for patient, code in ((survivor, "F33.1"), (duplicate, "F43.10")):
        Diagnosis.objects.filter(patient=patient).delete()  # a clean problem list for the test
        add_diagnosis(
            actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
            patient=patient,
            icd10_code=code,
            noted_on=today,
            is_primary=True,
            today=today,
        )
    merge_patients(
        actor=Actor(user=demo_user(Role.CLINIC_ADMIN), roles=frozenset(ADMIN)),
        survivor=survivor,
        duplicate=duplicate,
        reason=REASON,
        now=timezone.now(),
    )
    primaries = Diagnosis.objects.filter(
        patient=survivor, is_primary=True, status=Diagnosis.Status.ACTIVE
    )
    assert [d.icd10_code for d in primaries] == ["F33.1"]
    assert Diagnosis.objects.filter(patient=survivor, icd10_code="F43.10").exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("front desk", "Only a clinic administrator"),
        ("short reason", "at least 10 characters"),
        ("itself", "cannot be merged into itself"),
        ("other clinic", "same clinic"),
        ("already merged", "already merged"),
    ],
)
def test_a_refused_merge_says_why_and_writes_nothing(
    pair: tuple[Patient, Patient],
    clinics: list[Clinic],
    demo_user: Callable[[Role], User],
    case: str,
    message: str,
) -> None:
    survivor, duplicate = pair
    _records_on(duplicate, demo_user)
    roles, reason, target = ADMIN, REASON, duplicate
    if case == "front desk":
        roles = (Role.FRONT_DESK,)
    elif case == "short reason":
        reason = "  same  "
    elif case == "itself":
        target = survivor
    elif case == "other clinic":
        target = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    elif case == "already merged":
        Patient.objects.filter(pk=duplicate.pk).update(
            merged_into=Patient.objects.filter(clinic=clinics[0]).order_by("id")[1],
            merged_at=timezone.now(),
            merge_reason="Earlier merge.",
        )
    audit_rows = AuditEvent.objects.count()
    with pytest.raises(MergeError, match=message):
        merge_patients(
            actor=Actor(user=demo_user(Role.CLINIC_ADMIN), roles=frozenset(roles)),
            survivor=survivor,
            duplicate=target,
            reason=reason,
            now=timezone.now(),
        )
    assert Screening.objects.filter(patient=duplicate).count() == 1
    assert AuditEvent.objects.count() == audit_rows


def test_a_portal_sign_in_moves_to_the_survivor_but_two_are_refused(
    pair: tuple[Patient, Patient], demo_user: Callable[[Role], User]
) -> None:
    survivor, duplicate = pair
    one = User.objects.create_user(email="dup-portal@example.org", password=None, kind="patient")
    Patient.objects.filter(pk=duplicate.pk).update(portal_user=one)
    two = User.objects.create_user(email="main-portal@example.org", password=None, kind="patient")
    Patient.objects.filter(pk=survivor.pk).update(portal_user=two)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    admin = demo_user(Role.CLINIC_ADMIN)
    with pytest.raises(MergeError, match="Both records have a patient portal sign-in"):
        merge_patients(
            actor=Actor(user=admin, roles=frozenset(ADMIN)),
            survivor=survivor,
            duplicate=duplicate,
            reason=REASON,
            now=timezone.now(),
        )
    Patient.objects.filter(pk=survivor.pk).update(portal_user=None)
    survivor.refresh_from_db()
    merge_patients(
        actor=Actor(user=admin, roles=frozenset(ADMIN)),
        survivor=survivor,
        duplicate=duplicate,
        reason=REASON,
        now=timezone.now(),
    )
    survivor.refresh_from_db()
    assert survivor.portal_user == one


def test_the_admin_compares_then_merges_in_the_browser_flow(
    pair: tuple[Patient, Patient],
    demo_user: Callable[[Role], User],
    client_for: Callable[[Role], Client],
) -> None:
    survivor, duplicate = pair
    _records_on(duplicate, demo_user)
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("patients:merge", args=[survivor.public_id])
    assert client.get(url).status_code == 200

    unknown = client.post(url, {"mrn": "NOPE-1", "step": "compare"})
    assert unknown.status_code == 422
    assert "No record of this clinic has that MRN." in unknown.content.decode()

    compare = client.post(url, {"mrn": duplicate.mrn.lower(), "step": "compare"})
    assert compare.status_code == 200
    html = compare.content.decode()
    assert f"Duplicate: {duplicate.mrn}" in html
    assert "1 screenings" in html

    unconfirmed = client.post(url, {"mrn": duplicate.mrn, "step": "merge", "reason": REASON})
    assert unconfirmed.status_code == 422
    assert "Tick the box" in unconfirmed.content.decode()
    duplicate.refresh_from_db()
    assert not duplicate.is_merged

    done = client.post(
        url, {"mrn": duplicate.mrn, "step": "merge", "reason": REASON, "confirm": "on"}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("patients:chart", args=[survivor.public_id])

    old_chart = client.get(reverse("patients:chart", args=[duplicate.public_id]))
    assert old_chart.status_code == 200
    assert f"{duplicate.mrn} was merged" in old_chart.content.decode()
    # A merged record takes no more changes: its edit pages answer as for a missing record.
    assert client.get(reverse("patients:edit", args=[duplicate.public_id])).status_code == 404
