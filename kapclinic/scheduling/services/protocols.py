"""Writes about treatment protocols: publish a version, retire a protocol, and give a clinic
kapclinic's shipped templates. Each runs in a transaction and writes its audit entry; none ever
changes a published version's content (the database refuses it too: migration 0002)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kapclinic.accounts.actor import SYSTEM, Actor, AnyActor
from kapclinic.accounts.models import Clinic
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.measurement.assignments.rules import DEFAULT_PLAN
from kapclinic.measurement.plans.selectors import list_enrollable_plans
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import ProtocolDefinitionError, SchedulingError
from kapclinic.scheduling.models import ProtocolVersion
from kapclinic.scheduling.protocols.definition import Protocol
from kapclinic.scheduling.protocols.parser import parse_protocol, to_document
from kapclinic.scheduling.protocols.shipped import shipped_protocols

SHIPPED_REASON = (
    "The template kapclinic ships (docs/scheduling.md), copied when the clinic was set up."
)


def _refused_reason(message: str) -> SchedulingError:
    return SchedulingError(message, field="reason")


def _plan_problems(clinic: Clinic, protocol: Protocol) -> list[str]:
    """The measurement plan must be one the clinic can enrol patients in."""
    code = protocol.measurement_plan
    if code == DEFAULT_PLAN.code:
        return []  # copied into the clinic on first use (measurement.plans.ensure_default_plan)
    if any(plan.code == code for plan in list_enrollable_plans(clinic)):
        return []
    return [f"'measurement_plan': this clinic has no measurement plan '{code}'"]


def _create(
    *,
    actor: AnyActor,
    clinic: Clinic,
    protocol: Protocol,
    version: int,
    reason: str,
    now: datetime,
) -> ProtocolVersion:
    row = ProtocolVersion(
        clinic=clinic,
        code=protocol.code,
        version=version,
        name=protocol.name,
        modality=protocol.modality.value,
        document=to_document(protocol),
        published_at=now,
        published_by=actor.user,
        reason=reason,
    )
    row.full_clean()
    row.save()
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=SchedulingAuditAction.PROTOCOL_PUBLISHED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(row),
        detail={
            "code": row.code,
            "version": row.version,
            "shipped": actor.user is None,
            "reason": reason,
        },
    )
    return row


@transaction.atomic
def publish_protocol_version(
    *,
    actor: Actor,
    clinic: Clinic,
    document: object,
    reason: str,
    now: datetime,
    code: str | None = None,
) -> ProtocolVersion:
    """Publish ``document`` as the next version of its protocol in ``clinic`` (version 1 of a
    new code). With ``code``, the document must keep that code (a new version of that protocol).

    Earlier versions stay as they are: courses that started on them keep them. A retired
    protocol is offered again from this version on.
    Raises ProtocolDefinitionError listing every problem of the document, SchedulingError for
    a reason the reason rule refuses (kapclinic.core.reasons) or a version identical to the
    current one. Writes: ProtocolVersion, a CREATE audit entry with the reason.
    """
    protocol = parse_protocol(document)
    problems = _plan_problems(clinic, protocol)
    if code is not None and protocol.code != code:
        problems.insert(
            0,
            f"'code' must stay '{code}': a new version keeps its protocol's code "
            f"(not {protocol.code!r})",
        )
    if problems:
        raise ProtocolDefinitionError(problems)
    reason = clean_reason(reason, error=_refused_reason)
    # Lock the clinic row so that two admins publishing at once get consecutive versions (the
    # unique constraint is the backstop; SQLite write transactions are IMMEDIATE).
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    current = (
        ProtocolVersion.objects.filter(clinic=clinic, code=protocol.code)
        .order_by("-version")
        .first()
    )
    if (
        current is not None
        and current.status == ProtocolVersion.Status.PUBLISHED
        and current.document == to_document(protocol)
    ):
        msg = (
            f"This is the same as version {current.version}, the current one: change "
            "something before publishing a new version."
        )
        raise SchedulingError(msg, field="document")
    version = (current.version if current is not None else 0) + 1
    return _create(
        actor=actor,
        clinic=clinic,
        protocol=protocol,
        version=version,
        reason=reason,
        now=now,
    )


@transaction.atomic
def retire_protocol(
    *, actor: Actor, version: ProtocolVersion, reason: str, now: datetime
) -> ProtocolVersion:
    """Stop offering a protocol for new courses: its current version is marked retired, with
    the reason (running courses keep their version; publishing a new version offers it again).

    Raises SchedulingError for a refused reason, or when ``version`` is not the protocol's
    current, published version. Writes the retirement and an UPDATE audit entry.
    """
    reason = clean_reason(reason, error=_refused_reason)
    locked = (
        ProtocolVersion.objects.select_for_update(of=("self",))
        .select_related("clinic")
        .get(pk=version.pk)
    )
    latest = ProtocolVersion.objects.filter(clinic_id=locked.clinic_id, code=locked.code).aggregate(
        latest=Max("version")
    )["latest"]
    if locked.version != latest or locked.status != ProtocolVersion.Status.PUBLISHED:
        msg = "Only the current, published version of a protocol can be retired."
        raise SchedulingError(msg)
    old = locked.status
    locked.status = ProtocolVersion.Status.RETIRED
    locked.retired_at = now
    locked.retired_by = actor.user
    locked.retired_reason = reason
    locked.save(update_fields=["status", "retired_at", "retired_by", "retired_reason"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=SchedulingAuditAction.PROTOCOL_RETIRED,
        actor_roles=actor.roles,
        clinic_id=locked.clinic.public_id,
        target=audit.target_of(locked),
        changes={"status": (old, locked.status)},
        detail={"code": locked.code, "version": locked.version, "reason": reason},
    )
    return locked


@transaction.atomic
def ensure_shipped_protocols(
    *, clinic: Clinic, now: datetime | None = None
) -> list[ProtocolVersion]:
    """Give ``clinic`` each shipped template it has no protocol of yet, as version 1; returns
    those created (none on a second call). A template the clinic already has, in any version,
    is left alone: from then on the clinic's versions are its own. Called where a clinic is set
    up (``manage.py grant_role``, ``manage.py ensure_protocols``, the demo generator).
    Writes: ProtocolVersion rows and their CREATE audit entries (no actor: kapclinic's)."""
    moment = now or timezone.now()
    present = set(ProtocolVersion.objects.filter(clinic=clinic).values_list("code", flat=True))
    return [
        _create(
            actor=SYSTEM,
            clinic=clinic,
            protocol=protocol,
            version=1,
            reason=SHIPPED_REASON,
            now=moment,
        )
        for protocol in shipped_protocols()
        if protocol.code not in present
    ]
