"""One way for the measurement app to audit a write about a patient's record (in the caller's
transaction): the clinic and patient ids come from the patient, the target from the row."""

from __future__ import annotations

from typing import Any

from kapclinic.accounts.actor import AnyActor
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.patients.models import Patient


def record_event(
    *,
    actor: AnyActor,
    operation: Operation,
    action: MeasurementAuditAction,
    patient: Patient,
    target: Any,
    changes: dict[str, tuple[Any, Any]] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        actor=actor.user,
        operation=operation,
        action=action,
        actor_roles=actor.roles,
        clinic_id=patient.clinic.public_id,
        patient_id=patient.public_id,
        target=audit.target_of(target),
        changes=changes,
        detail=detail,
    )
