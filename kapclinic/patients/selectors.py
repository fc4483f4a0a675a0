"""Reads of patient data. Every read is scoped to the clinics the actor works in.

A patient of a clinic where the actor holds no suitable role answers 404, exactly like a
patient that does not exist, so that ids cannot be probed. Every chart read is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.actions import AuditAction
from kapclinic.audit.models import Operation
from kapclinic.core.pagination import BoundedPaginator
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.bmi import bmi
from kapclinic.patients.models import (
    MISSING_CONTACTS,
    Allergy,
    BodyMeasurement,
    BreakGlassGrant,
    Diagnosis,
    Medication,
    Patient,
    RecordStatus,
)
from kapclinic.patients.search import PatientQuery

PAGE_SIZE = 25
# The patient list counts up to this many ("More than 1000 patients"): it is every user's way
# into the records, and counting a clinic of thousands on each view cost more than the page.
LIST_COUNT_BOUND = 1000
# What emergency access lets a prescriber do with another clinic's patient: read, not change.
BREAK_GLASS_CAPABILITIES = frozenset({Capability.VIEW_CHART})


def list_clinic_patients(clinic: Clinic) -> QuerySet[Patient]:
    """The clinic's current records (merged duplicates left out), alphabetical."""
    return Patient.objects.filter(clinic=clinic, merged_into=None).order_by(
        "family_name", "given_name", "id"
    )


def list_patients_missing_contacts(clinic: Clinic) -> QuerySet[Patient]:
    """The clinic's current records missing an emergency contact, a usual escort or any way to
    reach the patient, the longest registered first (the chart flags each; Today lists them)."""
    return list_clinic_patients(clinic).filter(MISSING_CONTACTS).order_by("created_at", "id")


def missing_contacts(patient: Patient) -> list[str]:
    """What the chart still lacks, in words (no queries)."""
    missing = []
    if not (patient.emergency_contact_name and patient.emergency_contact_phone):
        missing.append("emergency contact")
    if not patient.escort_name:
        missing.append("usual escort")
    if not (patient.phone or patient.email):
        missing.append("phone or e-mail")
    return missing


def page_of_patients(clinic: Clinic, page_number: str | int | None) -> Page[Patient]:
    """One page of the clinic's patients, alphabetical, for the list page: two queries (a count
    that stops past LIST_COUNT_BOUND, and the rows; a page past the bound counts them all)."""
    patients = list_clinic_patients(clinic)
    return BoundedPaginator(patients, PAGE_SIZE, bound=LIST_COUNT_BOUND).get_page(page_number)


def audited_page_of_patients(
    *,
    actor: Actor,
    clinic: Clinic,
    page_number: str | int | None,
    action: AuditAction,
) -> Page[Patient]:
    """``page_of_patients``, audited: writes a SEARCH entry named ``action`` with the page
    number and which patients it shows (their opaque ids). Two queries (the whole count, which
    the API returns, and the rows) and the audit write."""
    page = Paginator(list_clinic_patients(clinic), PAGE_SIZE).get_page(page_number)
    shown = [str(patient.public_id) for patient in page.object_list]
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.SEARCH,
            action=action,
            actor_roles=actor.roles,
            clinic_id=clinic.public_id,
            detail={"page": page.number, "patients": shown},
        )
    return page


@dataclass(frozen=True)
class PatientAccess:
    patient: Patient
    # The actor as they act on this patient: with their roles in the patient's clinic, or the
    # prescriber role lent by an active break-glass grant. Pass it to the services that write.
    actor: Actor
    break_glass: BreakGlassGrant | None


def active_break_glass(actor: Actor, patient: Patient, now: datetime) -> BreakGlassGrant | None:
    return (
        BreakGlassGrant.objects.filter(
            user=actor.user, patient=patient, granted_at__lte=now, expires_at__gt=now
        )
        .order_by("-expires_at")
        .first()
    )


def access_patient(
    *,
    actor: Actor,
    public_id: UUID,
    capability: Capability,
    action: AuditAction | None,
    now: datetime | None = None,
) -> PatientAccess:
    """Return the patient if ``actor`` may use ``capability`` on them; otherwise raise Http404.

    The actor's memberships (loaded once per request) say their roles in the patient's clinic.
    Writes a READ audit entry named ``action`` (with the break-glass reason as its purpose).
    ``action=None`` is for a request that only writes to the record and audits that write
    itself, in the same request (its entry names the actor, roles, patient and request id):
    nothing of the record is shown, so a second, READ entry would say nothing more. Reading
    with emergency access always writes its READ entry.
    """
    now = now or timezone.now()
    # A write-only request shows nothing of the record: its care team is not joined.
    shown = ("care_prescriber", "care_therapist", "care_nurse") if action is not None else ()
    patient = Patient.objects.select_related("clinic", *shown).filter(public_id=public_id).first()
    if patient is None:
        raise Http404
    if patient.is_merged and capability is not Capability.VIEW_CHART:
        # A merged duplicate is read-only history: its chart says where the record went, and
        # every page that changes something answers as for a record that does not exist.
        raise Http404
    there = actor.in_clinic(patient.clinic)
    grant = None
    if not there.can(capability):
        if capability not in BREAK_GLASS_CAPABILITIES:
            raise Http404
        grant = active_break_glass(actor, patient, now)
        if grant is None:
            raise Http404
        there = replace(there, roles=frozenset({Role.PRESCRIBER}))
    if action is None and grant is None:
        return PatientAccess(patient=patient, actor=there, break_glass=None)
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.READ,
            action=action or PatientAuditAction.ACCESSED_FOR_A_WRITE,
            actor_roles=there.roles,
            clinic_id=patient.clinic.public_id,
            patient_id=patient.public_id,
            target=audit.target_of(patient),
            purpose=f"break-glass: {grant.reason}" if grant else "",
        )
    return PatientAccess(patient=patient, actor=there, break_glass=grant)


def break_glass_clinics(memberships: Sequence[StaffMembership]) -> QuerySet[Clinic]:
    """The open clinics where emergency access may be asked for: those of the organisations
    where the user is a prescriber, where they hold no role themselves, by name."""
    mine = {m.clinic_id for m in memberships}
    orgs = {m.clinic.organization_id for m in memberships if m.role == Role.PRESCRIBER}
    return (
        Clinic.objects.filter(organization_id__in=orgs, is_active=True)
        .exclude(pk__in=mine)
        .order_by("name")
    )


def find_patient_by_mrn(clinic: Clinic, mrn: str) -> Patient | None:
    """``clinic``'s record with this MRN (merged or not), or None. The caller scopes the
    clinic to the user's."""
    return Patient.objects.filter(clinic=clinic, mrn=mrn).select_related("clinic").first()


def find_current_patient(clinic: Clinic, public_id: UUID) -> Patient | None:
    """``clinic``'s current (not merged) record ``public_id``, or None. The caller scopes the
    clinic to the user's."""
    return (
        Patient.objects.filter(public_id=public_id, clinic=clinic, merged_into=None)
        .select_related("clinic")
        .first()
    )


def list_diagnoses(patient: Patient) -> list[Diagnosis]:
    """Active first (the primary leading), then resolved; entries made in error are left out."""
    return list(
        patient.diagnoses.exclude(status=Diagnosis.Status.ENTERED_IN_ERROR).order_by(
            "status", "-is_primary", "icd10_code"
        )
    )


def get_diagnosis(patient: Patient, public_id: UUID) -> Diagnosis | None:
    """One of ``patient``'s diagnoses (None for another patient's or no such diagnosis)."""
    return (
        Diagnosis.objects.filter(patient=patient, public_id=public_id)
        .select_related("patient__clinic")
        .first()
    )


def get_own_record(user: User) -> Patient:
    """The portal user's own patient record (404 if the account is not linked to one)."""
    patient = Patient.objects.select_related("clinic").filter(portal_user=user).first()
    if patient is None:
        raise Http404
    return patient


def search_clinic_patients(clinic: Clinic, query: PatientQuery) -> QuerySet[Patient]:
    """The clinic's patients matching ``query`` (kapclinic.patients.search), alphabetical.

    Names: every word must start a word of the folded name (accents and case ignored); on
    PostgreSQL a trigram index serves the LIKE. Dates: exact birth date. MRNs: exact, or the
    start of one. Phones: digits anywhere in the number.
    """
    patients = list_clinic_patients(clinic)
    if query.birth_date:
        return patients.filter(birth_date=query.birth_date)
    if query.mrn:
        return patients.filter(mrn__startswith=query.mrn)
    if query.phone:
        return patients.filter(phone_digits__contains=query.phone)
    for word in query.name_words:
        patients = patients.filter(search_name__contains=f" {word}")
    return patients


def page_of_search(
    clinic: Clinic, query: PatientQuery, page_number: str | int | None
) -> Page[Patient]:
    return Paginator(search_clinic_patients(clinic, query), PAGE_SIZE).get_page(page_number)


@dataclass(frozen=True)
class MeasurementRow:
    measurement: BodyMeasurement
    height_cm: Decimal | None  # measured then, or the latest earlier height
    bmi: Decimal | None


def list_measurements(patient: Patient, limit: int = 20) -> list[MeasurementRow]:
    """Newest first, each with a BMI from its own height or the latest earlier one (one query)."""
    rows = list(
        patient.measurements.select_related("recorded_by").order_by("measured_on", "recorded_at")
    )
    result: list[MeasurementRow] = []
    height: Decimal | None = None
    for m in rows:
        height = m.height_cm or height
        value = bmi(weight_kg=m.weight_kg, height_cm=height) if height else None
        result.append(MeasurementRow(m, height, value))
    return list(reversed(result))[:limit]


def latest_weight_kg(patient: Patient) -> Decimal | None:
    """The newest recorded weight, for mg/kg dosing (None when none is recorded)."""
    latest = patient.measurements.order_by("-measured_on", "-recorded_at").first()
    return latest.weight_kg if latest else None


def list_medications(patient: Patient) -> list[Medication]:
    """Active first, then stopped; entries made in error are left out."""
    return list(
        patient.medications.exclude(status=RecordStatus.ENTERED_IN_ERROR).order_by("status", "name")
    )


def list_allergies(patient: Patient) -> list[Allergy]:
    return list(
        patient.allergies.exclude(status=RecordStatus.ENTERED_IN_ERROR).order_by(
            "status", "substance"
        )
    )


def get_history_record(patient: Patient, kind: str, public_id: UUID) -> Medication | Allergy | None:
    model: type[Medication] | type[Allergy] = Medication if kind == "medication" else Allergy
    return (
        model.objects.filter(patient=patient, public_id=public_id)
        .select_related("patient__clinic")
        .first()
    )


def count_patients(clinic: Clinic) -> int:
    """The clinic's current records (merged duplicates left out); aggregate pages."""
    return list_clinic_patients(clinic).count()
