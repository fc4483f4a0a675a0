"""What someone with write access to the database (but not the audit key) can do to the ledger,
in raw SQL, with the append-only triggers switched off (kapclinic/audit/tests/helpers.py does
the same to the audit trail)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection

from kapclinic.audit.chain import GENESIS_HASH, AuditKey, legacy_entry_hash, sealed_entry_hash
from kapclinic.audit.tests.helpers import GUESSED_KEY
from kapclinic.ledger.models import Entry, StockAccount
from kapclinic.ledger.trail import LEDGER_TRAIL

# (entry, its sealed content, the previous hash) -> (key id, entry hash) the attacker stores
Sealer = Callable[[Entry, dict[str, object], str], tuple[str, str]]


def plain_sha256(entry: Entry, content: dict[str, object], prev: str) -> tuple[str, str]:
    return entry.key_id, legacy_entry_hash(content, prev)


def guessed_key(entry: Entry, content: dict[str, object], prev: str) -> tuple[str, str]:
    return GUESSED_KEY.id, sealed_entry_hash(content, prev, GUESSED_KEY)


def holder_of(key: AuditKey) -> Sealer:
    """Someone who holds the audit key (or a bug in posting): seals whatever they write."""

    def seal(entry: Entry, content: dict[str, object], prev: str) -> tuple[str, str]:
        return key.id, sealed_entry_hash(content, prev, key)

    return seal


@contextmanager
def without_append_only_triggers() -> Iterator[None]:
    """Inside the test's transaction: the triggers come back when it rolls back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS ledger_entry_append_only")
            cursor.execute("DROP TRIGGER IF EXISTS ledger_entry_no_delete")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def execute(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def entry_at(account: StockAccount, position: int) -> Entry:
    return Entry.objects.get(chain=account.chain_key, position=position)


def hash_of(account: StockAccount, position: int) -> str:
    return GENESIS_HASH if position == 0 else entry_at(account, position).entry_hash


def set_head(account: StockAccount, position: int) -> None:
    execute(
        "UPDATE ledger_ledgerchainhead SET last_position = %s, last_hash = %s WHERE chain = %s",
        [position, hash_of(account, position), account.chain_key],
    )


def set_holding(account: StockAccount, entry: Entry) -> None:
    """Roll the running balance of `entry`'s lot back (or forward) to what it left."""
    execute(
        "UPDATE ledger_holding SET balance_mg = %s, balance_units = %s, last_position = %s "
        "WHERE account_id = %s AND lot_id = %s",
        [entry.balance_mg, entry.balance_units, entry.position, account.pk, entry.lot_id],
    )


def move(entry_id: int, position: int) -> None:
    execute("UPDATE ledger_entry SET position = %s WHERE id = %s", [position, entry_id])


def reseal_from(account: StockAccount, position: int, sealer: Sealer) -> None:
    """Recompute every hash of the account's chain from `position` on, then its head."""
    prev = hash_of(account, position - 1)
    entries = Entry.objects.filter(chain=account.chain_key, position__gte=position)
    last = position - 1
    for entry in entries.order_by("position"):
        key_id, digest = sealer(entry, LEDGER_TRAIL.sealed_content(entry), prev)
        execute(
            "UPDATE ledger_entry SET prev_hash = %s, entry_hash = %s, key_id = %s WHERE id = %s",
            [prev, digest, key_id, entry.pk],
        )
        prev, last = digest, entry.position
    set_head(account, last)


def forge_copy(like: Entry, *, position: int, sealer: Sealer, mg: Decimal) -> Entry:
    """Insert a made-up debit of `mg` at `position` of `like`'s chain, copied from `like`, with
    the balance after it made to add up, linked to the entry before it and sealed by
    `sealer`."""
    forged = Entry.objects.get(pk=like.pk)
    forged.pk = None
    forged.public_id = uuid.uuid4()
    forged.position = position
    forged.source_key = ""
    forged.quantity_mg = -mg
    forged.balance_mg = like.balance_mg - mg
    forged.prev_hash = hash_of(like.account, position - 1)
    forged.key_id, forged.entry_hash = sealer(
        forged, LEDGER_TRAIL.sealed_content(forged), forged.prev_hash
    )
    forged._state.adding = True
    forged.save()
    return forged
