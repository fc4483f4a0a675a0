"""The audit entry of a dosing change, in the service's transaction."""

from __future__ import annotations

from typing import Any

from kapclinic.accounts.actor import Actor
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import DosingSession


def record(
    *,
    actor: Actor,
    action: DosingAuditAction,
    session: DosingSession,
    operation: Operation = Operation.UPDATE,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        actor=actor.user,
        operation=operation,
        action=action,
        actor_roles=actor.roles,
        clinic_id=session.clinic.public_id,
        patient_id=session.patient.public_id,
        target=audit.target_of(session),
        detail=detail or {},
    )
