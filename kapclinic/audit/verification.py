"""Walk every chain, check each seal with the audit keys, each head, and the signed checkpoints.

Each chain (kapclinic.audit.chaining) is walked on its own and stops at its first bad entry, so
the result names the first bad entry of every broken chain. What each check can and cannot
catch is in docs/security.md "Security: audit trail".
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kapclinic.audit.chain import (
    GENESIS_HASH,
    GLOBAL_CHAIN,
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
from kapclinic.audit.chaining import ChainedEntry, ChainHead, Trail
from kapclinic.audit.checkpoints import CheckpointSink
from kapclinic.audit.keys import known_keys
from kapclinic.audit.services import AUDIT_TRAIL

# Checkpoints read from the store: chain -> position -> (line number, checkpoint).
Expected = dict[str, dict[int, tuple[int, Checkpoint]]]


@dataclass(frozen=True)
class Problem:
    text: str
    position: int | None = None  # the first bad entry of `chain`, when an entry is to blame
    checkpoint_line: int | None = None  # the bad checkpoint line, when one is to blame
    chain: str | None = None


@dataclass
class ChainResult:
    chain: str
    checked: int = 0
    head: str = ""
    problem: Problem | None = None


@dataclass
class VerificationResult:
    checked: int = 0  # good entries, every chain
    keyed: dict[str, int] = field(default_factory=dict)  # key id -> entries it sealed
    legacy: int = 0
    chains: dict[str, ChainResult] = field(default_factory=dict)
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

    def first_bad(self) -> dict[str, int]:
        """The first bad entry of each broken chain: chain -> position."""
        return {
            p.chain: p.position
            for p in self.problems
            if p.chain is not None and p.position is not None
        }

    def newest_checkpoint(self, chain: str | None = None) -> tuple[int, Checkpoint] | None:
        """The read checkpoint with the highest position (of `chain`, when given)."""
        return max(
            (item for item in self.checkpoints if chain is None or item[1].chain == chain),
            key=lambda item: item[1].position,
            default=None,
        )

    def summary(self) -> list[str]:
        """One line for the entries, one per chain, one for the checkpoints: what was checked."""
        keyed = sum(self.keyed.values())
        ids = ", ".join(f"{key_id}: {n}" for key_id, n in sorted(self.keyed.items()))
        chain = f"hash chains: {len(self.chains)}; {self.checked} entries, {keyed} keyed"
        chain += f" (HMAC-SHA256; key ids {ids})" if ids else " (HMAC-SHA256)"
        chain += f", {self.legacy} legacy unkeyed"
        if self.legacy:
            chain += (
                " (plain SHA-256, written before the key: protected only by the sealed legacy "
                "boundary and the checkpoints; a change made before the upgrade is undetectable)"
            )
        lines = [chain]
        lines.extend(self._chain_line(result) for result in self.chains.values())
        lines.append(self._checkpoints_line())
        return lines

    def _chain_line(self, result: ChainResult) -> str:
        entries = "1 entry" if result.checked == 1 else f"{result.checked} entries"
        line = f"chain {result.chain}: {entries}, head {result.head}"
        if result.problem is not None:
            return f"{line}; BROKEN: first bad entry #{result.problem.position}"
        newest = self.newest_checkpoint(result.chain)
        if newest is not None:
            line_no, checkpoint = newest
            line += (
                f", newest checkpoint #{checkpoint.position} ({checkpoint.at}, line {line_no}) "
                "matches"
            )
        elif self.checkpoint_source is not None:
            line += ", no checkpoint of this chain yet"
        return line

    def _checkpoints_line(self) -> str:
        if self.checkpoint_source is None:
            return (
                "checkpoints: no checkpoint file configured (AUDIT_CHECKPOINT_FILE): deletion "
                "of the newest entries of a chain with its head rolled back, or a wiped and "
                "restarted chain, cannot be detected"
            )
        if not self.checkpoints:
            return (
                f"checkpoints: none read from {self.checkpoint_source}: deletion of the newest "
                "entries with the head rolled back cannot be detected until one is written "
                "(manage.py audit_checkpoint)"
            )
        ids = ", ".join(sorted({c.key_id for _, c in self.checkpoints}))
        bad_line = next((p.checkpoint_line for p in self.problems if p.checkpoint_line), None)
        signatures = (
            f"signatures valid (key ids {ids})"
            if bad_line is None
            else f"valid up to line {bad_line}, which is BAD"
        )
        chains = len({c.chain for _, c in self.checkpoints})
        return (
            f"checkpoints: {len(self.checkpoints)} read from {self.checkpoint_source}, "
            f"{signatures}; {chains} chain{'s' if chains != 1 else ''} covered"
        )


def _checkpoint_problem(
    checkpoint: Checkpoint,
    keys: dict[str, AuditKey],
    highest: dict[str, tuple[int, Checkpoint]],
    expected: Expected,
) -> str:
    """What is wrong with one checkpoint line read after the lines before it, or ""."""
    key = keys.get(checkpoint.key_id)
    what = f"#{checkpoint.position} of chain {checkpoint.chain}"
    if key is None:
        return (
            f"({what}) is signed with unknown key id {checkpoint.key_id!r} (a key missing from "
            "AUDIT_RETIRED_KEYS, or forged)"
        )
    if not checkpoint_signature_is_valid(checkpoint, key):
        return (
            f"({what}, {checkpoint.at}) has a bad signature: the checkpoint file was edited or "
            "the line forged"
        )
    before = highest.get(checkpoint.chain)
    if before is not None and checkpoint.position < before[1].position:
        return (
            f"records {what}, but line {before[0]} already recorded #{before[1].position}: the "
            "chain was rolled back between them"
        )
    known = expected.get(checkpoint.chain, {}).get(checkpoint.position)
    if known is not None and known[1].entry_hash != checkpoint.entry_hash:
        return (
            f"records another hash for {what} than line {known[0]}: the chain was re-written "
            "between them"
        )
    return ""


def _read_checkpoints(
    trail: Trail[Any], sink: CheckpointSink, keys: dict[str, AuditKey], result: VerificationResult
) -> Expected:
    """Checkpoints of `trail`'s chains by chain and position; the first bad line (or rollback)
    is a problem. Lines of another trail's chains (the store is shared) are that trail's to
    check."""
    expected: Expected = {}
    highest: dict[str, tuple[int, Checkpoint]] = {}
    for line_no, line in enumerate(sink.lines(), start=1):
        if not line.strip():
            continue
        where = f"checkpoint line {line_no} of {result.checkpoint_source}"
        try:
            checkpoint = parse_checkpoint(line)
        except BadCheckpointLineError as error:
            result.problems.append(Problem(f"{where} is {error}", checkpoint_line=line_no))
            return expected
        if not trail.owns(checkpoint.chain):
            continue
        problem = _checkpoint_problem(checkpoint, keys, highest, expected)
        if problem:
            result.problems.append(Problem(f"{where} {problem}", checkpoint_line=line_no))
            return expected
        result.checkpoints.append((line_no, checkpoint))
        expected.setdefault(checkpoint.chain, {}).setdefault(
            checkpoint.position, (line_no, checkpoint)
        )
        highest[checkpoint.chain] = (line_no, checkpoint)
    return expected


def _entry_problem(
    trail: Trail[Any],
    entry: ChainedEntry,
    keys: dict[str, AuditKey],
    legacy_entries: int,
    result: VerificationResult,
) -> str:
    """Why `entry`'s own hash is wrong, or "" when it is right (and counted)."""
    content = trail.sealed_content(entry)
    if entry.key_id == LEGACY_KEY_ID:
        if entry.position > legacy_entries:
            return (
                f"entry #{entry.position} is unkeyed (plain SHA-256) but the chain is keyed "
                f"from #{legacy_entries + 1}: it was written or re-written without the key"
            )
        if legacy_entry_hash(content, entry.prev_hash) != entry.entry_hash:
            return f"entry #{entry.position} (legacy unkeyed) was edited after it was written"
        result.legacy += 1
        return ""
    key = keys.get(entry.key_id)
    if key is None:
        return (
            f"entry #{entry.position} is sealed with unknown key id {entry.key_id!r} "
            "(a key missing from AUDIT_RETIRED_KEYS, or an entry forged with a guessed key)"
        )
    expected = sealed_entry_hash(content, entry.prev_hash, key)
    if not hmac.compare_digest(expected, entry.entry_hash):
        return (
            f"entry #{entry.position} does not match its seal: edited after it was written, "
            "or sealed by someone without the audit key"
        )
    result.keyed[key.id] = result.keyed.get(key.id, 0) + 1
    return ""


def _legacy_boundary(chain: str, head: ChainHead | None) -> tuple[int, str]:
    """(how many legacy unkeyed entries, the seal of that boundary): GLOBAL_CHAIN's only."""
    if chain != GLOBAL_CHAIN or head is None:
        return 0, ""
    return getattr(head, "legacy_entries", 0), getattr(head, "legacy_seal", "")


@dataclass
class _Walk:
    """One chain being walked: what it must hold, and how far it got."""

    trail: Trail[Any]
    chain: str
    head: ChainHead | None
    checkpoints: dict[int, tuple[int, Checkpoint]]
    keys: dict[str, AuditKey]
    result: VerificationResult
    checked: int = 0
    prev_hash: str = GENESIS_HASH

    def problem_at(self, entry: ChainedEntry) -> tuple[str, int]:
        """(what is wrong with the next entry, the position to blame), or ("", 0)."""
        position = self.checked + 1
        if entry.position != position:
            found = entry.position
            return f"entry #{position} is missing (next entry found is #{found})", position
        if entry.prev_hash != self.prev_hash:
            return (
                f"entry #{position} does not link to the entry before it (reordered, inserted, "
                "or an earlier entry was replaced)"
            ), position
        legacy_entries, legacy_seal = _legacy_boundary(self.chain, self.head)
        problem = _entry_problem(self.trail, entry, self.keys, legacy_entries, self.result)
        if problem:
            return problem, position
        if position == legacy_entries and not legacy_boundary_is_valid(
            legacy_seal, position=position, entry_hash=entry.entry_hash, keys=self.keys
        ):
            return (
                f"the legacy boundary (entries 1 to #{legacy_entries} unkeyed) is not sealed "
                "by a known audit key: the head or the legacy entries were altered"
            ), position
        if position in self.checkpoints:
            line_no, checkpoint = self.checkpoints[position]
            if checkpoint.entry_hash != entry.entry_hash:
                return (
                    f"entry #{position} differs from the checkpoint of {checkpoint.at} "
                    f"(line {line_no}): the chain was re-written or re-sealed"
                ), position
        return "", 0

    def end_problem(self) -> tuple[str, int]:
        """What is wrong once every entry is read: the head, the legacy count, truncation."""
        end = self.checked
        if self.head is None:
            if end:
                return f"the trail holds #1 to #{end}, but the chain has no head row", 1
        elif self.head.last_position != end or self.head.last_hash != self.prev_hash:
            last = self.head.last_position
            return (
                f"the chain head records entry #{last}, but the trail ends at #{end} (newest "
                "entries deleted, or the head was altered)"
            ), end + 1 if last > end else last
        legacy_entries, _ = _legacy_boundary(self.chain, self.head)
        if legacy_entries > end:
            return (
                f"the head says entries 1 to #{legacy_entries} are legacy unkeyed, but the "
                f"trail ends at #{end}"
            ), end + 1
        newest = max(self.checkpoints.values(), key=lambda item: item[1].position, default=None)
        if newest is not None and newest[1].position > end:
            line_no, checkpoint = newest
            return (
                f"the trail ends at #{end}, but the checkpoint of {checkpoint.at} (line "
                f"{line_no}) recorded #{checkpoint.position}: entries were deleted and the head "
                "rolled back (truncated or wiped)"
            ), end + 1
        return "", 0


def _chain_keys(trail: Trail[Any], heads: dict[str, ChainHead], expected: Expected) -> list[str]:
    """Every chain that has a head, an entry or a checkpoint: GLOBAL_CHAIN first, then sorted."""
    stored = trail.entries._default_manager.values_list("chain", flat=True).distinct()
    chains = set(heads) | set(stored.order_by()) | set(expected)
    return sorted(chains, key=lambda chain: (chain != GLOBAL_CHAIN, chain))


def _walk_chain(walk: _Walk, chunk_size: int, progress: Callable[[int], object] | None) -> None:
    entries = walk.trail.entries._default_manager.filter(chain=walk.chain).order_by("position")
    chain_result = ChainResult(walk.chain)
    walk.result.chains[walk.chain] = chain_result
    problem, position = "", 0
    for entry in entries.iterator(chunk_size=chunk_size):
        problem, position = walk.problem_at(entry)
        if problem:
            break
        walk.prev_hash = entry.entry_hash
        walk.checked += 1
        walk.result.checked += 1
        if progress is not None and walk.result.checked % chunk_size == 0:
            progress(chunk_size)
    chain_result.checked = walk.checked
    if problem:
        chain_result.head = "not checked (the chain is broken)"
    else:
        problem, position = walk.end_problem()
        head = walk.head
        last = head.last_position if head is not None else 0
        recorded = (last, head.last_hash if head is not None else GENESIS_HASH)
        consistent = recorded == (walk.checked, walk.prev_hash)
        chain_result.head = (
            f"consistent (#{last})" if consistent else f"INCONSISTENT (records #{last})"
        )
    if problem:
        chain_result.problem = Problem(
            f"chain {walk.chain}: {problem}", position=position, chain=walk.chain
        )


def verify_trail(
    trail: Trail[Any],
    progress: Callable[[int], object] | None = None,
    chunk_size: int = 2000,
    *,
    checkpoints: CheckpointSink | None = None,
) -> VerificationResult:
    """Check every chain of `trail`: each entry's seal and link, the head's record, and each
    signed checkpoint. Problems: the first bad entry of each broken chain, then the first bad
    checkpoint line.

    `checkpoints` is the store audit_checkpoint appends to; without one, truncation of the
    newest entries with the head rolled back is not detectable (the summary says so).
    """
    keys = known_keys()
    result = VerificationResult()
    expected: Expected = {}
    if checkpoints is not None:
        result.checkpoint_source = checkpoints.describe()
        expected = _read_checkpoints(trail, checkpoints, keys, result)
    heads = {head.chain: head for head in trail.heads._default_manager.all()}
    broken = []
    for chain in _chain_keys(trail, heads, expected):
        walk = _Walk(trail, chain, heads.get(chain), expected.get(chain, {}), keys, result)
        _walk_chain(walk, chunk_size, progress)
        problem = result.chains[chain].problem
        if problem is not None:
            broken.append(problem)
    result.problems[:0] = broken
    return result


def verify_chain(
    progress: Callable[[int], object] | None = None,
    chunk_size: int = 2000,
    *,
    checkpoints: CheckpointSink | None = None,
) -> VerificationResult:
    """Verify the audit trail: every clinic's chain and GLOBAL_CHAIN (``verify_trail``)."""
    return verify_trail(AUDIT_TRAIL, progress, chunk_size, checkpoints=checkpoints)
