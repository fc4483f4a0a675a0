"""The audit entry of a course or appointment change, in the service's transaction."""

from __future__ import annotations

from typing import Any

from kapclinic.accounts.actor import AnyActor
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.models import Appointment, Course


def record(
    *,
    actor: AnyActor,
    action: SchedulingAuditAction,
    target: Course | Appointment,
    operation: Operation = Operation.UPDATE,
    changes: dict[str, tuple[Any, Any]] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit entry about ``target`` (a course or one of its appointments), naming its
    patient and clinic by public id: who, what, when, why; never clinical detail."""
    course = target if isinstance(target, Course) else target.course
    audit.record(
        actor=actor.user,
        operation=operation,
        action=action,
        actor_roles=actor.roles,
        clinic_id=course.clinic.public_id,
        patient_id=course.patient.public_id,
        target=audit.target_of(target),
        changes=changes,
        detail={"course": str(course.public_id), **(detail or {})},
    )
