"""Writes about the patient's diagnoses (problem list), coded from the shipped ICD-10-CM list.

Each service locks the patient's row first, so two people changing the same patient's primary
diagnosis at once are serialised (on SQLite the IMMEDIATE transaction does the same), and the
database constraint "one active primary per patient" is never met by a race. Nothing is
deleted: a diagnosis recorded by mistake is marked entered in error, with the reason audited.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.exceptions import DiagnosisError
from kapclinic.patients.icd10 import billable
from kapclinic.patients.models import Diagnosis, Patient

Status = Diagnosis.Status
ALLOWED_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    Status.ACTIVE: frozenset({Status.RESOLVED, Status.ENTERED_IN_ERROR}),
    Status.RESOLVED: frozenset({Status.ENTERED_IN_ERROR}),
    Status.ENTERED_IN_ERROR: frozenset(),
}
MIN_ERROR_REASON_LENGTH: Final = 5
MAX_ERROR_REASON_LENGTH: Final = 500


@transaction.atomic
def add_diagnosis(
    *,
    actor: Actor,
    patient: Patient,
    icd10_code: str,
    noted_on: date,
    is_primary: bool,
    today: date,
) -> Diagnosis:
    """Put a diagnosis on the patient's problem list; its title comes from the code list.

    Raises DiagnosisError (nothing written) when the code is not a billable code of the list,
    ``noted_on`` is after ``today`` (the clinic's date) or before birth, or the same code is
    already active. A new primary diagnosis demotes the current one in the same transaction.
    Writes: Diagnosis, a CREATE audit entry, and an UPDATE entry for a demoted primary.
    """
    code = billable(icd10_code)
    if noted_on > today:
        msg = "A diagnosis cannot be noted in the future."
        raise DiagnosisError(msg)
    if noted_on < patient.birth_date:
        msg = "A diagnosis cannot be noted before the patient's birth."
        raise DiagnosisError(msg)
    patient = _locked(patient)
    if patient.diagnoses.filter(icd10_code=code.code, status=Status.ACTIVE).exists():
        msg = f"{code.code} is already an active diagnosis of this patient."
        raise DiagnosisError(msg)
    diagnosis = Diagnosis(
        patient=patient,
        icd10_code=code.code,
        display=code.description,
        is_primary=is_primary,
        noted_on=noted_on,
    )
    if is_primary:
        _demote_primary(actor=actor, patient=patient, successor=diagnosis)
    diagnosis.full_clean()
    diagnosis.save()
    _audit(
        diagnosis,
        actor=actor,
        operation=Operation.CREATE,
        action=PatientAuditAction.DIAGNOSIS_ADDED,
        changes={
            field: (None, getattr(diagnosis, field))
            for field in ("icd10_code", "display", "is_primary", "status", "noted_on")
        },
    )
    return diagnosis


@transaction.atomic
def set_primary_diagnosis(*, actor: Actor, diagnosis: Diagnosis) -> Diagnosis:
    """Make an active diagnosis the patient's primary one, demoting the current primary.

    Raises DiagnosisError when the diagnosis is not active. Does nothing when it already is
    the primary. Writes: UPDATE audit entries for the demoted and the new primary.
    """
    _locked(diagnosis.patient)
    diagnosis = _fresh(diagnosis)
    if diagnosis.status != Status.ACTIVE:
        msg = f"Only an active diagnosis can be primary; {diagnosis.icd10_code} is not."
        raise DiagnosisError(msg)
    if diagnosis.is_primary:
        return diagnosis
    _demote_primary(actor=actor, patient=diagnosis.patient, successor=diagnosis)
    diagnosis.is_primary = True
    diagnosis.save(update_fields=["is_primary", "updated_at"])
    _audit(
        diagnosis,
        actor=actor,
        operation=Operation.UPDATE,
        action=PatientAuditAction.DIAGNOSIS_PRIMARY_CHANGED,
        changes={"is_primary": (False, True)},
    )
    return diagnosis


@transaction.atomic
def resolve_diagnosis(*, actor: Actor, diagnosis: Diagnosis) -> Diagnosis:
    """Mark an active diagnosis resolved (a resolved primary stops being the primary).

    Raises DiagnosisError when it is not active. Writes an UPDATE audit entry (old → new).
    """
    return _transition(actor=actor, diagnosis=diagnosis, to=Status.RESOLVED)


@transaction.atomic
def enter_diagnosis_in_error(*, actor: Actor, diagnosis: Diagnosis, reason: str) -> Diagnosis:
    """Mark a diagnosis recorded by mistake as entered in error; it is kept, never deleted, and
    leaves the chart.

    Raises DiagnosisError when the reason is shorter than MIN_ERROR_REASON_LENGTH or the
    diagnosis is already entered in error. Writes an UPDATE audit entry with the reason.
    """
    reason = clean_reason(reason, minimum=MIN_ERROR_REASON_LENGTH, error=DiagnosisError)
    return _transition(
        actor=actor,
        diagnosis=diagnosis,
        to=Status.ENTERED_IN_ERROR,
        reason=reason[:MAX_ERROR_REASON_LENGTH],
    )


def _transition(*, actor: Actor, diagnosis: Diagnosis, to: Status, reason: str = "") -> Diagnosis:
    _locked(diagnosis.patient)
    diagnosis = _fresh(diagnosis)
    old = diagnosis.status
    if to not in ALLOWED_TRANSITIONS[old]:
        msg = (
            f"{diagnosis.icd10_code} is {diagnosis.get_status_display().lower()}: it cannot be "
            f"marked {Status(to).label.lower()}."
        )
        raise DiagnosisError(msg)
    changes: audit.Changes = {"status": (old, to)}
    if diagnosis.is_primary:
        changes["is_primary"] = (True, False)
    diagnosis.status = to
    diagnosis.is_primary = False
    diagnosis.save(update_fields=["status", "is_primary", "updated_at"])
    _audit(
        diagnosis,
        actor=actor,
        operation=Operation.UPDATE,
        action=PatientAuditAction.DIAGNOSIS_STATUS_CHANGED,
        changes=changes,
        detail={"reason": reason} if reason else None,
    )
    return diagnosis


def _demote_primary(*, actor: Actor, patient: Patient, successor: Diagnosis) -> None:
    """Take the primary flag from the patient's current active primary, if any (in the
    caller's transaction, with the patient locked)."""
    current = patient.diagnoses.filter(is_primary=True, status=Status.ACTIVE).first()
    if current is None:
        return
    current.is_primary = False
    current.save(update_fields=["is_primary", "updated_at"])
    _audit(
        current,
        actor=actor,
        operation=Operation.UPDATE,
        action=PatientAuditAction.DIAGNOSIS_PRIMARY_CHANGED,
        changes={"is_primary": (True, False)},
        detail={"replaced_by": successor.icd10_code},
    )


def _locked(patient: Patient) -> Patient:
    return Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)


def _fresh(diagnosis: Diagnosis) -> Diagnosis:
    return Diagnosis.objects.select_related("patient__clinic").get(pk=diagnosis.pk)


def _audit(
    diagnosis: Diagnosis,
    *,
    actor: Actor,
    operation: Operation,
    action: PatientAuditAction,
    changes: audit.Changes,
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        actor=actor.user,
        operation=operation,
        action=action,
        actor_roles=actor.roles,
        clinic_id=diagnosis.patient.clinic.public_id,
        patient_id=diagnosis.patient.public_id,
        target=audit.target_of(diagnosis),
        changes=changes,
        detail=detail,
    )
