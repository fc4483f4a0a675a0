"""Signed checkpoints of the chain heads, published outside the database.

Issue 10, point 4: the head rows live in the same database as the entries, so an attacker who
deletes the newest entries of a chain can roll its head back with them, and one who wipes a
chain can reset or delete its head. A checkpoint, signed with the audit key and kept where the
database's users cannot rewrite it (a log shipper, an append-only file on another host),
remembers how long one chain was and what its newest entry's hash was; verify_audit checks the
chain still holds it. Every run checkpoints every chain (issue 12, point 8: one per clinic).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string

from kapclinic.audit.chain import (
    GENESIS_HASH,
    GLOBAL_CHAIN,
    AuditKey,
    BadCheckpointLineError,
    Checkpoint,
    checkpoint_signature_is_valid,
    parse_checkpoint,
    sign_checkpoint,
)
from kapclinic.audit.chaining import ChainHead, Trail
from kapclinic.audit.keys import current_key, known_keys
from kapclinic.audit.services import AUDIT_TRAIL

# Numbers and hashes only: never PHI (docs/security.md "No PHI in logs").
logger = logging.getLogger("kapclinic.audit.checkpoint")

DEFAULT_SINK = "kapclinic.audit.checkpoints.FileSink"


class CheckpointSink(Protocol):
    """Where checkpoints go. ``AUDIT_CHECKPOINT_SINK`` names a class built with no arguments."""

    def describe(self) -> str: ...

    def append(self, line: str) -> None: ...

    def lines(self) -> Iterator[str]:
        """Every line written so far, oldest first (none when nothing was written yet)."""
        ...


class FileSink:
    """JSON lines appended to a file (``AUDIT_CHECKPOINT_FILE`` unless a path is given)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path if path is not None else settings.AUDIT_CHECKPOINT_FILE)

    def describe(self) -> str:
        return str(self.path)

    def append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: concurrent runs never overwrite each other; fsync: a crash keeps the line.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, (line + "\n").encode("ascii"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def lines(self) -> Iterator[str]:
        try:
            with self.path.open(encoding="ascii", errors="replace") as handle:
                yield from (line.rstrip("\n") for line in handle)
        except FileNotFoundError:
            return


def configured_sink() -> CheckpointSink | None:
    """The sink from settings; None when the default file sink has no file configured."""
    dotted = settings.AUDIT_CHECKPOINT_SINK
    if dotted == DEFAULT_SINK:
        return FileSink() if settings.AUDIT_CHECKPOINT_FILE else None
    return cast(CheckpointSink, import_string(dotted)())


class CheckpointRefusedError(Exception):
    """A chain no longer holds what an earlier checkpoint recorded: that chain was not signed."""

    def __init__(self, msg: str, written: list[Checkpoint]) -> None:
        super().__init__(msg)
        self.written = written  # the checkpoints of the other chains, signed all the same


def _newest_valid_checkpoints(
    trail: Trail[Any], sink: CheckpointSink, keys: dict[str, AuditKey]
) -> dict[str, Checkpoint]:
    """The newest checkpoint of each of `trail`'s chains whose signature holds."""
    newest: dict[str, Checkpoint] = {}
    for line in sink.lines():
        if not line.strip():
            continue
        try:
            checkpoint = parse_checkpoint(line)
        except BadCheckpointLineError:
            continue  # verify_audit reports it; it must not stop the next checkpoint
        if not trail.owns(checkpoint.chain):
            continue  # another trail's chain (the store is shared)
        key = keys.get(checkpoint.key_id)
        if key is None or not checkpoint_signature_is_valid(checkpoint, key):
            continue
        known = newest.get(checkpoint.chain)
        if known is None or checkpoint.position >= known.position:
            newest[checkpoint.chain] = checkpoint
    return newest


def _refusal(
    trail: Trail[Any], chain: str, head: ChainHead | None, previous: Checkpoint | None
) -> str:
    """Why `chain` must not be signed now, or "" when it may."""
    entries = trail.entries._default_manager.filter(chain=chain)
    if head is not None and head.last_position:
        position = head.last_position
        stored = entries.filter(position=position).values_list("entry_hash", flat=True).first()
        if stored != head.last_hash:
            return f"the chain head records #{position}, but the trail does not hold that entry"
    if previous is not None and previous.position:
        held = (
            entries.filter(position=previous.position).values_list("entry_hash", flat=True).first()
        )
        if held != previous.entry_hash:
            return (
                f"the checkpoint of {previous.at} recorded #{previous.position}, which the "
                "trail no longer holds with that hash (deleted, rolled back or re-written)"
            )
    return ""


_TRAILS: list[Trail[Any]] = []


def register_trail(trail: Trail[Any]) -> None:
    """Checkpoint `trail`'s chains beside the audit trail's (an app's ``ready()`` calls this:
    the stock ledger's chains, issue 14.3). Same store, same key."""
    if trail not in _TRAILS:
        _TRAILS.append(trail)


def checkpointed_trails() -> list[Trail[Any]]:
    """The audit trail, then every registered trail: what ``audit_checkpoint`` signs."""
    return [AUDIT_TRAIL, *_TRAILS]


def write_checkpoint(
    *, sink: CheckpointSink, now: datetime, trail: Trail[Any] | None = None
) -> list[Checkpoint]:
    """Sign the head of every chain and append each to `sink` and to the
    ``kapclinic.audit.checkpoint`` log: the chains with a head and the chains an earlier
    checkpoint recorded (GLOBAL_CHAIN at #0 when there are none: an empty trail).

    A chain that no longer holds its newest earlier checkpoint (fewer entries, or another hash
    at its position), or whose head points past its entries, is not signed: signing a
    rolled-back head would bless the tampering. The other chains are signed all the same, then
    CheckpointRefusedError names the refused ones. Writes: one line to the sink and one log line
    per signed chain.
    """
    trail = trail or AUDIT_TRAIL
    keys = known_keys()
    key = current_key()
    heads = {head.chain: head for head in trail.heads._default_manager.all()}
    previous = _newest_valid_checkpoints(trail, sink, keys)
    empty = {GLOBAL_CHAIN} if trail.owns(GLOBAL_CHAIN) else set()
    chains = sorted(
        (set(heads) | set(previous)) or empty,
        key=lambda chain: (chain != GLOBAL_CHAIN, chain),
    )
    written: list[Checkpoint] = []
    refused: list[str] = []
    for chain in chains:
        head = heads.get(chain)
        refusal = _refusal(trail, chain, head, previous.get(chain))
        if refusal:
            logger.error("audit checkpoint refused: chain %s: %s", chain, refusal)
            refused.append(f"chain {chain}: {refusal}")
            continue
        checkpoint = sign_checkpoint(
            position=head.last_position if head else 0,
            entry_hash=head.last_hash if head else GENESIS_HASH,
            at=now.astimezone(UTC),
            key=key,
            chain=chain,
        )
        sink.append(checkpoint.to_json())
        logger.info(
            "audit checkpoint chain=%s position=%d entry_hash=%s at=%s key_id=%s signature=%s",
            checkpoint.chain,
            checkpoint.position,
            checkpoint.entry_hash,
            checkpoint.at,
            checkpoint.key_id,
            checkpoint.signature,
        )
        written.append(checkpoint)
    if refused:
        raise CheckpointRefusedError("; ".join(refused), written)
    return written
