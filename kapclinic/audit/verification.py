"""Walk the chain, check each seal with the audit keys, the head, and the signed checkpoints.

What each check can and cannot catch is in docs/security.md "Security: audit trail".
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from kapclinic.audit.chain import (
    GENESIS_HASH,
    LEGACY_KEY_ID,
    AuditKey,
    BadCheckpointLineError,
    Checkpoint,
    checkpoint_signature_is_valid,
    legacy_boundary_is_valid,
    legacy_entry_hash,
    parse_checkpoint,
    sealed_entry_hash,
)
from kapclinic.audit.checkpoints import CheckpointSink
from kapclinic.audit.keys import known_keys
from kapclinic.audit.models import AuditChainHead, AuditEvent
from kapclinic.audit.services import hashed_content


@dataclass(frozen=True)
class Problem:
    text: str
    position: int | None = None  # the first bad entry, when an entry is to blame
    checkpoint_line: int | None = None  # the bad checkpoint line, when one is to blame


@dataclass
class VerificationResult:
    checked: int = 0
    keyed: dict[str, int] = field(default_factory=dict)  # key id -> entries it sealed
    legacy: int = 0
    head: str = ""
    checkpoint_source: str | None = None  # None: no checkpoint store configured
    checkpoints: list[tuple[int, Checkpoint]] = field(default_factory=list)  # (line, checkpoint)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem(self) -> str:
        return self.problems[0].text if self.problems else ""

    @property
    def first_bad_position(self) -> int | None:
        return next((p.position for p in self.problems if p.position is not None), None)

    @property
    def newest_checkpoint(self) -> tuple[int, Checkpoint] | None:
        return max(self.checkpoints, key=lambda item: item[1].position, default=None)

    def summary(self) -> list[str]:
        """One line per check that ran, and what it could not check."""
        keyed = sum(self.keyed.values())
        ids = ", ".join(f"{key_id}: {n}" for key_id, n in sorted(self.keyed.items()))
        chain = f"hash chain: {self.checked} entries, {keyed} keyed (HMAC-SHA256"
        chain += f"; key ids {ids})" if ids else ")"
        chain += f", {self.legacy} legacy unkeyed"
        if self.legacy:
            chain += (
                " (plain SHA-256, written before the key: protected only by the sealed legacy "
                "boundary and the checkpoints; a change made before the upgrade is undetectable)"
            )
        lines = [chain, f"head: {self.head or 'not checked'}"]
        if self.checkpoint_source is None:
            lines.append(
                "checkpoints: no checkpoint file configured (AUDIT_CHECKPOINT_FILE): deletion "
                "of the newest entries with the head rolled back, or a wiped and restarted "
                "trail, cannot be detected"
            )
        elif not self.checkpoints:
            lines.append(
                f"checkpoints: none read from {self.checkpoint_source}: deletion of the newest "
                "entries with the head rolled back cannot be detected until one is written "
                "(manage.py audit_checkpoint)"
            )
        else:
            newest = self.newest_checkpoint
            assert newest is not None  # noqa: S101 - checkpoints is not empty
            line_no, checkpoint = newest
            ids = ", ".join(sorted({c.key_id for _, c in self.checkpoints}))
            bad_line = next((p.checkpoint_line for p in self.problems if p.checkpoint_line), None)
            signatures = (
                f"signatures valid (key ids {ids})"
                if bad_line is None
                else f"valid up to line {bad_line}, which is BAD"
            )
            verdict = "matches" if self.ok else "was checked"
            lines.append(
                f"checkpoints: {len(self.checkpoints)} read from {self.checkpoint_source}, "
                f"{signatures}; newest at #{checkpoint.position} "
                f"({checkpoint.at}, line {line_no}) {verdict}"
            )
        return lines


def _read_checkpoints(
    sink: CheckpointSink, keys: dict[str, AuditKey], result: VerificationResult
) -> dict[int, tuple[int, Checkpoint]]:
    """Checkpoints by position; the first bad line (or rollback between lines) is a problem."""
    by_position: dict[int, tuple[int, Checkpoint]] = {}
    highest: tuple[int, Checkpoint] | None = None
    for line_no, line in enumerate(sink.lines(), start=1):
        if not line.strip():
            continue
        where = f"checkpoint line {line_no} of {result.checkpoint_source}"
        try:
            checkpoint = parse_checkpoint(line)
        except BadCheckpointLineError as error:
            result.problems.append(Problem(f"{where} is {error}", checkpoint_line=line_no))
            return by_position
        key = keys.get(checkpoint.key_id)
        if key is None:
            result.problems.append(
                Problem(
                    f"{where} (#{checkpoint.position}) is signed with unknown key id "
                    f"{checkpoint.key_id!r} (a key missing from AUDIT_RETIRED_KEYS, or forged)",
                    checkpoint_line=line_no,
                )
            )
            return by_position
        if not checkpoint_signature_is_valid(checkpoint, key):
            result.problems.append(
                Problem(
                    f"{where} (#{checkpoint.position}, {checkpoint.at}) has a bad signature: "
                    "the checkpoint file was edited or the line forged",
                    checkpoint_line=line_no,
                )
            )
            return by_position
        if highest is not None and checkpoint.position < highest[1].position:
            result.problems.append(
                Problem(
                    f"{where} records #{checkpoint.position}, but line {highest[0]} already "
                    f"recorded #{highest[1].position}: the trail was rolled back between them",
                    checkpoint_line=line_no,
                )
            )
            return by_position
        known = by_position.get(checkpoint.position)
        if known is not None and known[1].entry_hash != checkpoint.entry_hash:
            result.problems.append(
                Problem(
                    f"{where} records another hash for #{checkpoint.position} than line "
                    f"{known[0]}: the trail was re-written between them",
                    checkpoint_line=line_no,
                )
            )
            return by_position
        result.checkpoints.append((line_no, checkpoint))
        by_position.setdefault(checkpoint.position, (line_no, checkpoint))
        highest = (line_no, checkpoint)
    return by_position


def _entry_problem(
    event: AuditEvent, keys: dict[str, AuditKey], legacy_entries: int, result: VerificationResult
) -> str:
    """Why `event`'s own hash is wrong, or "" when it is right (and counted)."""
    content = hashed_content(event)
    if event.key_id == LEGACY_KEY_ID:
        if event.position > legacy_entries:
            return (
                f"entry #{event.position} is unkeyed (plain SHA-256) but the trail is keyed "
                f"from #{legacy_entries + 1}: it was written or re-written without the key"
            )
        if legacy_entry_hash(content, event.prev_hash) != event.entry_hash:
            return f"entry #{event.position} (legacy unkeyed) was edited after it was written"
        result.legacy += 1
        return ""
    key = keys.get(event.key_id)
    if key is None:
        return (
            f"entry #{event.position} is sealed with unknown key id {event.key_id!r} "
            "(a key missing from AUDIT_RETIRED_KEYS, or an entry forged with a guessed key)"
        )
    expected = sealed_entry_hash(content, event.prev_hash, key)
    if not hmac.compare_digest(expected, event.entry_hash):
        return (
            f"entry #{event.position} does not match its seal: edited after it was written, "
            "or sealed by someone without the audit key"
        )
    result.keyed[key.id] = result.keyed.get(key.id, 0) + 1
    return ""


def verify_chain(
    progress: Callable[[int], object] | None = None,
    chunk_size: int = 2000,
    *,
    checkpoints: CheckpointSink | None = None,
) -> VerificationResult:
    """Check every entry's seal and link, the head's record, and each signed checkpoint.

    `checkpoints` is the store audit_checkpoint appends to; without one, truncation of the
    newest entries with the head rolled back is not detectable (the summary says so).
    """
    keys = known_keys()
    result = VerificationResult()
    expected: dict[int, tuple[int, Checkpoint]] = {}
    if checkpoints is not None:
        result.checkpoint_source = checkpoints.describe()
        expected = _read_checkpoints(checkpoints, keys, result)
    head = AuditChainHead.objects.filter(pk=1).first()
    legacy_entries = head.legacy_entries if head else 0
    expected_position = 1
    prev_hash = GENESIS_HASH
    for event in AuditEvent.objects.order_by("position").iterator(chunk_size=chunk_size):
        problem = ""
        if event.position != expected_position:
            problem = (
                f"entry #{expected_position} is missing (next entry found is #{event.position})"
            )
            bad = expected_position
        elif event.prev_hash != prev_hash:
            problem = (
                f"entry #{event.position} does not link to the entry before it "
                "(reordered, inserted, or an earlier entry was replaced)"
            )
            bad = event.position
        else:
            problem = _entry_problem(event, keys, legacy_entries, result)
            bad = event.position
        if (
            not problem
            and head is not None
            and event.position == legacy_entries
            and not legacy_boundary_is_valid(
                head.legacy_seal, position=event.position, entry_hash=event.entry_hash, keys=keys
            )
        ):
            problem = (
                f"the legacy boundary (entries 1 to #{legacy_entries} unkeyed) is not sealed "
                "by a known audit key: the head or the legacy entries were altered"
            )
        if not problem and event.position in expected:
            line_no, checkpoint = expected[event.position]
            if checkpoint.entry_hash != event.entry_hash:
                problem = (
                    f"entry #{event.position} differs from the checkpoint of {checkpoint.at} "
                    f"(line {line_no}): the trail was re-written or re-sealed"
                )
        if problem:
            result.problems.insert(0, Problem(problem, position=bad))
            result.head = "not checked (the chain is broken)"
            return result
        prev_hash = event.entry_hash
        expected_position += 1
        result.checked += 1
        if progress is not None and result.checked % chunk_size == 0:
            progress(chunk_size)
    last_position = head.last_position if head else 0
    last_hash = head.last_hash if head else GENESIS_HASH
    if last_position != result.checked or last_hash != prev_hash:
        result.head = f"INCONSISTENT (records #{last_position})"
        result.problems.insert(
            0,
            Problem(
                f"the chain head records entry #{last_position}, but the trail ends at "
                f"#{result.checked} (newest entries deleted, or the head was altered)",
                position=result.checked + 1 if last_position > result.checked else last_position,
            ),
        )
        return result
    result.head = f"consistent (#{last_position})"
    if legacy_entries > result.checked:
        result.problems.insert(
            0,
            Problem(
                f"the head says entries 1 to #{legacy_entries} are legacy unkeyed, but the "
                f"trail ends at #{result.checked}",
                position=result.checked + 1,
            ),
        )
        return result
    newest = result.newest_checkpoint
    if newest is not None and newest[1].position > result.checked:
        line_no, checkpoint = newest
        result.problems.insert(
            0,
            Problem(
                f"the trail ends at #{result.checked}, but the checkpoint of {checkpoint.at} "
                f"(line {line_no}) recorded #{checkpoint.position}: entries were deleted and "
                "the head rolled back (truncated or wiped)",
                position=result.checked + 1,
            ),
        )
    return result
