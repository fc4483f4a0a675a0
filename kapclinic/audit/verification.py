"""Walk the chain and report the first entry that does not match."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kapclinic.audit.chain import GENESIS_HASH, entry_hash
from kapclinic.audit.models import AuditChainHead, AuditEvent
from kapclinic.audit.services import hashed_content


@dataclass(frozen=True)
class VerificationResult:
    checked: int
    ok: bool
    first_bad_position: int | None = None
    problem: str = ""


def verify_chain(
    progress: Callable[[int], object] | None = None, chunk_size: int = 2000
) -> VerificationResult:
    """Check every entry's hash, its link to the previous entry, and the head's record."""
    expected_position = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("position").iterator(chunk_size=chunk_size):
        if event.position != expected_position:
            return VerificationResult(
                checked,
                False,
                expected_position,
                f"entry #{expected_position} is missing (next entry found is #{event.position})",
            )
        if event.prev_hash != prev_hash:
            return VerificationResult(
                checked,
                False,
                event.position,
                f"entry #{event.position} does not link to the entry before it "
                "(reordered or an earlier entry was replaced)",
            )
        if entry_hash(hashed_content(event), event.prev_hash) != event.entry_hash:
            return VerificationResult(
                checked,
                False,
                event.position,
                f"entry #{event.position} was edited after it was written",
            )
        prev_hash = event.entry_hash
        expected_position += 1
        checked += 1
        if progress is not None and checked % chunk_size == 0:
            progress(chunk_size)
    head = AuditChainHead.objects.filter(pk=1).first()
    last_position = head.last_position if head else 0
    last_hash = head.last_hash if head else GENESIS_HASH
    if last_position != checked or last_hash != prev_hash:
        return VerificationResult(
            checked,
            False,
            checked + 1 if last_position > checked else last_position,
            f"the chain head records entry #{last_position}, but the trail ends at #{checked} "
            "(newest entries deleted, or the head was altered)",
        )
    return VerificationResult(checked, True)
