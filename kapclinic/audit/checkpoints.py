"""Signed checkpoints of the chain head, published outside the database.

Issue 10, point 4: the head row lives in the same database as the entries, so an attacker who
deletes the newest entries can roll the head back with them, and one who wipes the table can
reset it. A checkpoint, signed with the audit key and kept where the database's users cannot
rewrite it (a log shipper, an append-only file on another host), remembers how long the trail
was and what its newest entry's hash was; verify_audit checks the trail still holds it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string

from kapclinic.audit.chain import (
    AuditKey,
    BadCheckpointLineError,
    Checkpoint,
    checkpoint_signature_is_valid,
    parse_checkpoint,
    sign_checkpoint,
)
from kapclinic.audit.keys import current_key, known_keys
from kapclinic.audit.models import AuditChainHead, AuditEvent

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
    """The trail no longer holds what an earlier checkpoint recorded: nothing was signed."""


def _newest_valid_checkpoint(sink: CheckpointSink, keys: dict[str, AuditKey]) -> Checkpoint | None:
    newest: Checkpoint | None = None
    for line in sink.lines():
        if not line.strip():
            continue
        try:
            checkpoint = parse_checkpoint(line)
        except BadCheckpointLineError:
            continue  # verify_audit reports it; it must not stop the next checkpoint
        key = keys.get(checkpoint.key_id)
        if key is None or not checkpoint_signature_is_valid(checkpoint, key):
            continue
        if newest is None or checkpoint.position >= newest.position:
            newest = checkpoint
    return newest


def write_checkpoint(*, sink: CheckpointSink, now: datetime) -> Checkpoint:
    """Sign the chain head and append it to `sink` and to the ``kapclinic.audit.checkpoint`` log.

    Raises CheckpointRefusedError, and signs nothing, when the trail no longer holds the newest
    earlier checkpoint (fewer entries, or another hash at its position): signing a rolled-back
    head would bless the tampering. Writes: one line to the sink, one log line.
    """
    keys = known_keys()
    head = AuditChainHead.objects.filter(pk=1).first()
    position = head.last_position if head else 0
    digest = head.last_hash if head else "0" * 64
    if position:
        stored = (
            AuditEvent.objects.filter(position=position)
            .values_list("entry_hash", flat=True)
            .first()
        )
        if stored != digest:
            msg = f"the chain head records #{position}, but the trail does not hold that entry"
            logger.error("audit checkpoint refused: %s", msg)
            raise CheckpointRefusedError(msg)
    previous = _newest_valid_checkpoint(sink, keys)
    if previous is not None and previous.position:
        held = (
            AuditEvent.objects.filter(position=previous.position)
            .values_list("entry_hash", flat=True)
            .first()
        )
        if held != previous.entry_hash:
            msg = (
                f"the checkpoint of {previous.at} recorded #{previous.position}, which the trail "
                "no longer holds with that hash (deleted, rolled back or re-written)"
            )
            logger.error("audit checkpoint refused: %s", msg)
            raise CheckpointRefusedError(msg)
    checkpoint = sign_checkpoint(
        position=position, entry_hash=digest, at=now.astimezone(UTC), key=current_key()
    )
    sink.append(checkpoint.to_json())
    logger.info(
        "audit checkpoint position=%d entry_hash=%s at=%s key_id=%s signature=%s",
        checkpoint.position,
        checkpoint.entry_hash,
        checkpoint.at,
        checkpoint.key_id,
        checkpoint.signature,
    )
    return checkpoint
