"""The one way to write the audit trail."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import UTC
from typing import Any
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from kapclinic.audit.actions import AuditAction
from kapclinic.audit.chain import CLINIC_CHAIN_PREFIX, GLOBAL_CHAIN, clinic_chain, jsonable
from kapclinic.audit.chaining import Trail, append, locked_head
from kapclinic.audit.models import AuditChainHead, AuditEvent, Operation
from kapclinic.core.request_context import current_request_context

Changes = dict[str, tuple[Any, Any]]


def _recorded_content(event: AuditEvent) -> dict[str, Any]:
    occurred = event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    return {
        "position": event.position,
        "occurred_at": occurred,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "actor_roles": event.actor_roles,
        "clinic": str(event.clinic_public_id) if event.clinic_public_id else None,
        "patient": str(event.patient_public_id) if event.patient_public_id else None,
        "operation": event.operation,
        "action": event.action,
        "target": event.target,
        "changes": event.changes,
        "detail": event.detail,
        "purpose": event.purpose,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
    }


def _audit_chain(chain: str) -> bool:
    return chain == GLOBAL_CHAIN or chain.startswith(CLINIC_CHAIN_PREFIX)


AUDIT_TRAIL: Trail[AuditEvent] = Trail(
    name="audit trail",
    entries=AuditEvent,
    heads=AuditChainHead,
    content=_recorded_content,
    owns=_audit_chain,
)


def hashed_content(event: AuditEvent) -> dict[str, Any]:
    """The fields an entry's hash covers (its chain key included, except in GLOBAL_CHAIN), in
    the form they have after a database round trip."""
    return AUDIT_TRAIL.sealed_content(event)


def chain_of(clinic_id: UUID | None) -> str:
    """The chain an entry goes to: its clinic's, or GLOBAL_CHAIN when it names no clinic."""
    return clinic_chain(clinic_id) if clinic_id is not None else GLOBAL_CHAIN


def _normalised_ip(value: str | None) -> str | None:
    # Stored as the database returns it (PostgreSQL's inet compresses IPv6), so hashes match.
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def record(
    *,
    actor: AbstractBaseUser | None,
    operation: Operation,
    action: AuditAction,
    actor_roles: Iterable[str] = (),
    clinic_id: UUID | None = None,
    patient_id: UUID | None = None,
    target: str = "",
    changes: Changes | None = None,
    detail: dict[str, Any] | None = None,
    purpose: str = "",
) -> AuditEvent:
    """Append one entry to the audit trail, in the caller's transaction.

    Must run inside ``transaction.atomic`` together with the change it records, so that the
    change and its audit entry commit or roll back together. Request id and client address
    come from the current request (none in commands and tasks). The entry is appended to its
    clinic's chain (GLOBAL_CHAIN without a clinic) and sealed with HMAC-SHA256 under
    settings.AUDIT_KEY (kapclinic.audit.chaining.append). Only that chain's head is locked, so
    audited requests of different clinics do not wait for each other (on PostgreSQL).
    """
    if not connection.in_atomic_block:
        msg = "audit.record() must run inside the transaction of the change it records."
        raise RuntimeError(msg)
    context = current_request_context()
    label = actor.get_username() if actor is not None else ""
    head = locked_head(AUDIT_TRAIL, chain_of(clinic_id))
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=actor,  # type: ignore[misc]
        actor_label=label,
        actor_roles=",".join(sorted(set(actor_roles))),
        clinic_public_id=clinic_id,
        patient_public_id=patient_id,
        operation=operation,
        action=action,
        target=target,
        changes={
            field: [jsonable(old), jsonable(new)] for field, (old, new) in (changes or {}).items()
        },
        detail=jsonable(detail or {}),
        purpose=purpose,
        request_id=context.request_id if context else "",
        ip_address=_normalised_ip(context.ip_address if context else None),
    )
    # Issue 10, point 4: keyed, so that whoever can write the database cannot re-seal it.
    return append(AUDIT_TRAIL, event, head)


def target_of(obj: Any) -> str:
    """ "app.Model:<public_id>", the way audit names an object without a foreign key to it."""
    meta = obj._meta
    return f"{meta.app_label}.{meta.object_name}:{obj.public_id}"


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """Fields whose values differ, as {field: (old, new)}."""
    return {
        key: (before.get(key), value) for key, value in after.items() if before.get(key) != value
    }
