"""A keyed hash chain per chain key: the primitive the audit trail is built on.

Issue 12, point 8: one chain head serialised every audited request across clinics. Entries now
belong to a chain named by a key (the audit trail: one per clinic, and ``GLOBAL_CHAIN`` for the
rest); each chain has its own head row, its own gap-free positions 1, 2, 3..., its own keyed
hash links and its own checkpoints. An append locks only its chain's head row, so appends to
different chains run in parallel on PostgreSQL; on SQLite every write transaction is IMMEDIATE
(config/settings.py), one writer at a time, which keeps each chain gap-free and ordered too.

A trail is a concrete entry model and a concrete head model built on the abstract ones below,
and the function that gives the fields an entry's seal covers (``Trail``). verification.py and
checkpoints.py check any trail. The stock ledger (issue 14) is meant to reuse this per stock
account: its own entry and head models, a chain key per account, the same key and checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, models, transaction

from kapclinic.audit.chain import CHAIN_KEY_LENGTH, GENESIS_HASH, chained_content, sealed_entry_hash
from kapclinic.audit.keys import current_key


class ChainHead(models.Model):
    """One row per chain: its newest position and hash. Appends lock it (``locked_head``)."""

    chain = models.CharField(max_length=CHAIN_KEY_LENGTH, unique=True)
    last_position = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.chain} head at #{self.last_position}"


class ChainedEntry(models.Model):
    """The columns that chain an entry: the concrete model adds what the entry records."""

    chain = models.CharField(max_length=CHAIN_KEY_LENGTH, editable=False)
    # Contiguous 1, 2, 3... within the chain, assigned under its head's lock (database sequences
    # skip numbers on rollback, which would look like a deleted entry).
    position = models.PositiveBigIntegerField(editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)
    # Which AUDIT_KEY sealed the entry (kapclinic.audit.chain.audit_key); empty for legacy
    # entries sealed before the trail was keyed, whose hash is a plain SHA-256.
    key_id = models.CharField(max_length=12, blank=True, default="", editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "position"], name="%(app_label)s_%(class)s_chain_position"
            )
        ]


EntryT = TypeVar("EntryT", bound=ChainedEntry)


@dataclass(frozen=True)
class Trail(Generic[EntryT]):
    """A family of chains: where their entries and heads are kept, and what a seal covers."""

    name: str  # for messages: "audit trail"
    entries: type[EntryT]
    heads: type[ChainHead]
    # The fields of an entry its seal covers, as they read after a database round trip (the
    # chain's bookkeeping columns excluded: sealed_content adds the chain key).
    content: Callable[[EntryT], dict[str, Any]]
    # Which chain keys are this trail's. Trails share one checkpoint store (the ledger's chains
    # are checkpointed beside the audit trail's): each verifies and signs only its own chains.
    owns: Callable[[str], bool] = lambda chain: True

    def sealed_content(self, entry: EntryT) -> dict[str, Any]:
        return chained_content(self.content(entry), entry.chain)


def locked_head(trail: Trail[Any], chain: str) -> ChainHead:
    """The head row of `chain`, locked until the caller's transaction ends (created if new).

    On PostgreSQL the row lock makes a second append to the same chain wait, and leaves every
    other chain free; on SQLite the IMMEDIATE transaction already excludes every other writer.
    """
    heads = trail.heads._default_manager
    head = heads.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            # No other transaction sees the new row before ours commits: it is ours alone.
            created = heads.create(chain=chain)
    except IntegrityError:
        # Another writer created it first (we waited for its commit), or something else broke.
        head = heads.select_for_update().filter(chain=chain).first()
        if head is None:
            raise
        return head
    else:
        return created


def append(trail: Trail[EntryT], entry: EntryT, head: ChainHead) -> EntryT:
    """Seal `entry` as the next entry of `head`'s chain, save it and move the head.

    The caller holds `head` from ``locked_head`` in the transaction that saves `entry`. The seal
    is HMAC-SHA256 under settings.AUDIT_KEY (no query: the key comes from settings). Writes: the
    entry, and the head's position and hash.
    """
    entry.chain = head.chain
    entry.position = head.last_position + 1
    entry.prev_hash = head.last_hash
    key = current_key()
    entry.key_id = key.id
    entry.entry_hash = sealed_entry_hash(trail.sealed_content(entry), entry.prev_hash, key)
    entry.save()
    head.last_position = entry.position
    head.last_hash = entry.entry_hash
    head.save(update_fields=["last_position", "last_hash"])
    return entry
