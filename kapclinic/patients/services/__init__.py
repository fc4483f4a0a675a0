"""Writes about patients. Each service runs in a transaction and writes its audit entry.

A package by sub-domain: registration, demographics, history and emergency access live here,
the problem list in ``diagnoses``. Everything is re-exported, so callers import from
``kapclinic.patients.services``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.services import notify_clinic_admins
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.exceptions import BreakGlassRefusedError, PossibleDuplicateError
from kapclinic.patients.interactions import classify
from kapclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    BreakGlassGrant,
    Medication,
    Patient,
    RecordStatus,
)
from kapclinic.patients.search import search_key

# Re-exported (explicitly, for mypy) so callers import every write from one place.
from kapclinic.patients.services.diagnoses import (
    add_diagnosis as add_diagnosis,
)
from kapclinic.patients.services.diagnoses import (
    enter_diagnosis_in_error as enter_diagnosis_in_error,
)
from kapclinic.patients.services.diagnoses import (
    resolve_diagnosis as resolve_diagnosis,
)
from kapclinic.patients.services.diagnoses import (
    set_primary_diagnosis as set_primary_diagnosis,
)
from kapclinic.patients.services.merge import merge_patients as merge_patients
from kapclinic.patients.services.merge import merge_preview as merge_preview

MIN_REASON_LENGTH = 15


@transaction.atomic
def open_break_glass(
    *,
    actor: Actor,
    clinic: Clinic,
    mrn: str,
    reason: str,
    now: datetime,
) -> BreakGlassGrant:
    """Give a prescriber time-limited read access to a patient of another clinic of the same
    organisation, for an emergency, with a stated reason.

    Raises BreakGlassRefusedError when the actor is no prescriber in the organisation, already works
    in that clinic, the reason is too short, or no such patient exists there.
    Writes: BreakGlassGrant, an ACCESS audit entry (purpose = reason), a notice to each of the
    clinic's admins (and an e-mail without patient details, after commit).
    """
    memberships = actor.memberships
    prescriber_clinics = {m.clinic_id for m in memberships if m.role == Role.PRESCRIBER}
    org_ids = {m.clinic.organization_id for m in memberships if m.role == Role.PRESCRIBER}
    if not prescriber_clinics or clinic.organization_id not in org_ids:
        msg = "Emergency access is for prescribers of this organisation only."
        raise BreakGlassRefusedError(msg)
    if any(m.clinic_id == clinic.pk for m in memberships):
        msg = f"You already work at {clinic.name}: open the patient from the patient list."
        raise BreakGlassRefusedError(msg)
    reason = clean_reason(reason, minimum=MIN_REASON_LENGTH, error=BreakGlassRefusedError)
    patient = Patient.objects.filter(clinic=clinic, mrn=mrn.strip().upper()).first()
    if patient is None:
        msg = f"No patient with MRN {mrn.strip()!r} at {clinic.name}."
        raise BreakGlassRefusedError(msg)
    grant = BreakGlassGrant.objects.create(
        user=actor.user,
        patient=patient,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=clinic.break_glass_minutes),
    )
    audit.record(
        actor=actor.user,
        operation=Operation.ACCESS,
        action=PatientAuditAction.BREAK_GLASS_OPENED,
        actor_roles=[Role.PRESCRIBER],
        clinic_id=clinic.public_id,
        patient_id=patient.public_id,
        target=audit.target_of(grant),
        purpose=reason,
        detail={"expires_at": grant.expires_at},
    )
    notify_clinic_admins(
        clinic=clinic,
        subject=f"Emergency access opened by {actor.user.display_name}",
        body=(
            f"{actor.user.display_name} opened emergency (break-glass) access to patient "
            f"{patient.mrn} until {timezone.localtime(grant.expires_at, clinic.tzinfo):%H:%M %Z}"
            f". Reason: {reason}"
        ),
        link=reverse("audit:report") + f"?patient={patient.public_id}",
    )
    return grant


@transaction.atomic
def record_search(
    *,
    actor: Actor,
    clinic: Clinic,
    patients: list[Patient],
    page_number: int,
    total: int,
) -> None:
    """Audit a search that returned patients: which ones were shown (never the search text,
    which may hold a name)."""
    audit.record(
        actor=actor.user,
        operation=Operation.SEARCH,
        action=PatientAuditAction.SEARCHED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        detail={
            "page": page_number,
            "total": total,
            "patients": [str(p.public_id) for p in patients],
        },
    )


@dataclass(frozen=True)
class PatientDetails:
    """Demographics as entered (validated by PatientForm)."""

    given_name: str
    family_name: str
    birth_date: date
    sex: str
    phone: str = ""
    email: str = ""


DEMOGRAPHIC_FIELDS = ("given_name", "family_name", "birth_date", "sex", "phone", "email")


def _next_mrn(clinic: Clinic) -> str:
    # Called with the clinic row locked, so two registrations never get the same number.
    numbers = [
        int(mrn.rsplit("-", 1)[1])
        for mrn in Patient.objects.filter(clinic=clinic, mrn__startswith=f"{clinic.code}-")
        .order_by("-mrn")
        .values_list("mrn", flat=True)[:1]
        if mrn.rsplit("-", 1)[1].isdigit()
    ]
    return f"{clinic.code}-{(numbers[0] if numbers else 0) + 1:06d}"


def find_possible_duplicates(clinic: Clinic, details: PatientDetails) -> list[Patient]:
    """Patients of the clinic with the same folded name and birth date."""
    key = search_key(details.given_name, details.family_name)
    return list(
        Patient.objects.filter(
            clinic=clinic, search_name=key, birth_date=details.birth_date, merged_into=None
        ).order_by("mrn")
    )


@transaction.atomic
def register_patient(
    *,
    actor: Actor,
    clinic: Clinic,
    details: PatientDetails,
    confirmed_different_person: bool = False,
) -> Patient:
    """Register a new patient in ``clinic`` with the next MRN.

    Raises PossibleDuplicateError (nothing written) when a patient with the same name and birth
    date exists, unless the user confirmed this is a different person (recorded in the audit).
    Writes: Patient, a CREATE audit entry with every field as None → value.
    """
    locked = Clinic.objects.select_for_update().get(pk=clinic.pk)
    duplicates = find_possible_duplicates(locked, details)
    if duplicates and not confirmed_different_person:
        raise PossibleDuplicateError(list(duplicates))
    patient = Patient(clinic=locked, mrn=_next_mrn(locked), **asdict(details))
    patient.full_clean()
    patient.save()
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=PatientAuditAction.REGISTERED,
        actor_roles=actor.roles,
        clinic_id=locked.public_id,
        patient_id=patient.public_id,
        target=audit.target_of(patient),
        changes={
            "mrn": (None, patient.mrn),
            **{f: (None, getattr(patient, f)) for f in DEMOGRAPHIC_FIELDS},
        },
        detail={"same_name_and_birth_date_as": [str(d.public_id) for d in duplicates]}
        if duplicates
        else {},
    )
    return patient


@transaction.atomic
def update_demographics(*, actor: Actor, patient: Patient, details: PatientDetails) -> Patient:
    """Change a patient's demographics. Writes an UPDATE audit entry with old → new values
    (nothing when nothing changed)."""
    return _update_patient(
        actor=actor,
        patient=patient,
        after=asdict(details),
        action=PatientAuditAction.DEMOGRAPHICS_CHANGED,
    )


@transaction.atomic
def record_measurement(
    *,
    actor: Actor,
    patient: Patient,
    measured_on: date,
    weight_kg: Decimal,
    height_cm: Decimal | None,
) -> BodyMeasurement:
    """Add a weight (and height) to the patient's history; the newest weight feeds mg/kg
    dosing. Writes BodyMeasurement and a CREATE audit entry."""
    measurement = BodyMeasurement(
        patient=patient,
        measured_on=measured_on,
        weight_kg=weight_kg,
        height_cm=height_cm,
        recorded_by=actor.user,
    )
    _add_record(
        measurement,
        actor=actor,
        patient=patient,
        action=PatientAuditAction.MEASUREMENT_RECORDED,
        fields=("measured_on", "weight_kg", "height_cm"),
    )
    return measurement


@transaction.atomic
def add_medication(
    *,
    actor: Actor,
    patient: Patient,
    name: str,
    dose: str,
    interaction_class: str | None = None,
) -> Medication:
    """Record a current medication; its ketamine interaction class is recognised from the name
    unless the user chose one. Writes Medication and a CREATE audit entry."""
    chosen = interaction_class if interaction_class else classify(name).value
    medication = Medication(
        patient=patient,
        name=name.strip(),
        dose=dose.strip(),
        interaction_class=chosen,
        recorded_by=actor.user,
    )
    _add_record(
        medication,
        actor=actor,
        patient=patient,
        action=PatientAuditAction.MEDICATION_ADDED,
        fields=("name", "dose", "interaction_class"),
    )
    return medication


@transaction.atomic
def add_allergy(
    *,
    actor: Actor,
    patient: Patient,
    substance: str,
    reaction: str,
    severity: str,
) -> Allergy:
    """Record an allergy or intolerance. Writes Allergy and a CREATE audit entry."""
    allergy = Allergy(
        patient=patient,
        substance=substance.strip(),
        reaction=reaction.strip(),
        severity=severity,
        recorded_by=actor.user,
    )
    _add_record(
        allergy,
        actor=actor,
        patient=patient,
        action=PatientAuditAction.ALLERGY_ADDED,
        fields=("substance", "reaction", "severity"),
    )
    return allergy


@transaction.atomic
def change_history_status(*, actor: Actor, record: Medication | Allergy, status: str) -> None:
    """Stop a medication / resolve an allergy, or mark it entered in error (never deleted).
    Writes an UPDATE audit entry with old → new status."""
    if status not in RecordStatus.values or status == record.status:
        return
    old = record.status
    record.status = status
    record.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=PatientAuditAction.HISTORY_STATUS_CHANGED,
        actor_roles=actor.roles,
        clinic_id=record.patient.clinic.public_id,
        patient_id=record.patient.public_id,
        target=audit.target_of(record),
        changes={"status": (old, status)},
    )


CONTACT_FIELDS = (
    "address_line",
    "city",
    "region",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "escort_name",
    "escort_phone",
    "pregnancy_potential",
    "care_prescriber",
    "care_therapist",
    "care_nurse",
)


@transaction.atomic
def update_contacts(*, actor: Actor, patient: Patient, values: dict[str, object]) -> Patient:
    """Change address, emergency contact, usual escort, pregnancy potential and care team.
    Writes an UPDATE audit entry with old → new values (care-team members by e-mail)."""
    return _update_patient(
        actor=actor,
        patient=patient,
        after={f: values[f] for f in CONTACT_FIELDS},
        action=PatientAuditAction.CONTACTS_CHANGED,
    )


def _add_record(
    record: BodyMeasurement | Medication | Allergy,
    *,
    actor: Actor,
    patient: Patient,
    action: PatientAuditAction,
    fields: tuple[str, ...],
) -> None:
    """Validate and save a new piece of the patient's history, with a CREATE audit entry
    listing ``fields`` as None → value (in the caller's transaction)."""
    record.full_clean()
    record.save()
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=action,
        actor_roles=actor.roles,
        clinic_id=patient.clinic.public_id,
        patient_id=patient.public_id,
        target=audit.target_of(record),
        changes={field: (None, getattr(record, field)) for field in fields},
    )


def _update_patient(
    *, actor: Actor, patient: Patient, after: dict[str, object], action: PatientAuditAction
) -> Patient:
    """Set ``after`` on the (locked) patient and audit old → new values; staff members are
    named by e-mail. Writes nothing when nothing changed."""
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    before = {field: getattr(patient, field) for field in after}
    changes = audit.diff(before, after)
    if not changes:
        return patient
    for field, value in after.items():
        setattr(patient, field, value)
    patient.full_clean()
    patient.save()
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=action,
        actor_roles=actor.roles,
        clinic_id=patient.clinic.public_id,
        patient_id=patient.public_id,
        target=audit.target_of(patient),
        changes={field: (_named(old), _named(new)) for field, (old, new) in changes.items()},
    )
    return patient


def _named(value: object) -> object:
    return value.email if isinstance(value, User) else value
