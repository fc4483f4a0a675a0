"""What an attacker with write access to the database (but not the audit key) can do, in raw
SQL, and the honest writer it is compared with. Fixtures are in conftest.py."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction

from kapclinic.audit import services as audit
from kapclinic.audit.actions import AuditAction
from kapclinic.audit.chain import (
    GENESIS_HASH,
    AuditKey,
    audit_key,
    clinic_chain,
    legacy_entry_hash,
    sealed_entry_hash,
)
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.audit.services import hashed_content

# (event, its hashed content, the previous hash) -> (key id, entry hash) the attacker stores
Sealer = Callable[[AuditEvent, dict[str, object], str], tuple[str, str]]

GUESSED_KEY: AuditKey = audit_key("a-guessed-audit-key-that-is-long-enough-000000")


class SampleAuditAction(AuditAction):
    """Actions for the audit app's own tests (audit knows no domain app's catalogue)."""

    DEMOGRAPHICS_CHANGED = "patients.demographics_changed", "Demographics changed"
    CHART_VIEWED = "patients.chart_viewed", "Chart viewed"
    LOGIN = "auth.login", "Signed in"
    CONCURRENCY_PROBE = "audit.concurrency_probe", "Concurrency probe"
    HOLD = "audit.hold", "Holds a chain's head"
    FIRST = "audit.first", "First entry of a chain"


# The clinics the tests write for (any ids: audit knows no clinic model), and their chains.
CLINIC_A = uuid.UUID("0a0a0a0a-0000-4000-8000-00000000000a")
CLINIC_B = uuid.UUID("0b0b0b0b-0000-4000-8000-00000000000b")
CHAIN_A = clinic_chain(CLINIC_A)
CHAIN_B = clinic_chain(CLINIC_B)


def write_entries(
    actor: AbstractBaseUser, count: int, *, clinic: uuid.UUID | None = CLINIC_A
) -> list[AuditEvent]:
    """`count` entries, each in its own transaction, in `clinic`'s chain (CHAIN_A unless told;
    GLOBAL_CHAIN for None)."""
    events = []
    for number in range(count):
        with transaction.atomic():
            events.append(
                audit.record(
                    actor=actor,
                    operation=Operation.UPDATE,
                    action=SampleAuditAction.DEMOGRAPHICS_CHANGED,
                    actor_roles=["nurse"],
                    clinic_id=clinic,
                    patient_id=uuid.uuid4(),
                    target=f"patients.Patient:{uuid.uuid4()}",
                    changes={"phone": ("+1-555-200-0000", f"+1-555-200-{number:04d}")},
                    detail={"n": number, "weight_kg": 71.5},
                )
            )
    return events


@contextmanager
def without_append_only_triggers() -> Iterator[None]:
    """What an attacker with the database owner's rights could do (inside the test's
    transaction, so the triggers come back when it rolls back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # triggers off
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_append_only")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def execute(sql: str, params: list[str | int] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def set_head(position: int, digest: str, chain: str = CHAIN_A) -> None:
    execute(
        "UPDATE audit_auditchainhead SET last_position = %s, last_hash = %s WHERE chain = %s",
        [position, digest, chain],
    )


def delete_from(position: int, chain: str = CHAIN_A) -> None:
    """Delete every entry of `chain` from `position` on (raw SQL; triggers must be off)."""
    execute("DELETE FROM audit_auditevent WHERE chain = %s AND position >= %s", [chain, position])


def hash_of(position: int, chain: str = CHAIN_A) -> str:
    if position == 0:
        return GENESIS_HASH
    entries = AuditEvent.objects.filter(chain=chain)
    return entries.values_list("entry_hash", flat=True).get(position=position)


def plain_sha256_keeping_key_id(
    event: AuditEvent, content: dict[str, object], prev: str
) -> tuple[str, str]:
    return event.key_id, legacy_entry_hash(content, prev)


def plain_sha256_posing_as_legacy(
    event: AuditEvent, content: dict[str, object], prev: str
) -> tuple[str, str]:
    return "", legacy_entry_hash(content, prev)


def guessed_key_with_its_own_id(
    event: AuditEvent, content: dict[str, object], prev: str
) -> tuple[str, str]:
    return GUESSED_KEY.id, sealed_entry_hash(content, prev, GUESSED_KEY)


def guessed_key_claiming_the_real_id(
    event: AuditEvent, content: dict[str, object], prev: str
) -> tuple[str, str]:
    return event.key_id, sealed_entry_hash(content, prev, GUESSED_KEY)


def reseal_from(position: int, sealer: Sealer, chain: str = CHAIN_A) -> None:
    """Recompute every hash of `chain` from `position` to its end, then its head, the attacker's
    way (with the chain key in the content: the attacker knows the format, not the key)."""
    prev = hash_of(position - 1, chain)
    entries = AuditEvent.objects.filter(chain=chain)
    for event in entries.filter(position__gte=position).order_by("position"):
        key_id, digest = sealer(event, hashed_content(event), prev)
        execute(
            "UPDATE audit_auditevent SET prev_hash = %s, entry_hash = %s, key_id = %s "
            "WHERE id = %s",
            [prev, digest, key_id, event.pk],
        )
        prev = digest
    last = entries.order_by("-position").values_list("position", flat=True).first()
    set_head(last or 0, prev, chain)


def forge_entry(*, position: int, prev: str, sealer: Sealer, like: AuditEvent) -> None:
    """Insert a made-up entry at `position` of `like`'s chain, copied from `like` with another
    action."""
    forged = copy.copy(like)
    forged.position = position
    forged.action = "patients.record_viewed"
    forged.prev_hash = prev
    key_id, digest = sealer(forged, hashed_content(forged), prev)
    execute(
        "INSERT INTO audit_auditevent (chain, position, occurred_at, actor_id, actor_label,"
        " actor_roles, clinic_public_id, patient_public_id, operation, action, target, changes,"
        " detail, purpose, request_id, ip_address, prev_hash, entry_hash, key_id)"
        " SELECT chain, %s, occurred_at, actor_id, actor_label, actor_roles, clinic_public_id,"
        " patient_public_id, operation, %s, target, changes, detail, purpose, request_id,"
        " ip_address, %s, %s, %s FROM audit_auditevent WHERE id = %s",
        [position, forged.action, prev, digest, key_id, like.pk],
    )
