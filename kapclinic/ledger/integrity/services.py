"""Verify the whole ledger and record the result per account (issue 14.3).

``verify_ledger`` is what ``manage.py verify_ledger`` and the nightly task run. It checks:

1. every account's chain with the audit trail's verifier (``verify_trail(LEDGER_TRAIL)``):
   each entry's keyed seal and link, the chain head, and the signed checkpoints that
   ``manage.py audit_checkpoint`` publishes of the ledger's chains beside the audit trail's
   (a cut at the tail with the head rolled back, and a re-written chain, need them);
2. the ledger's own arithmetic (``balances``): each balance is the one before plus the
   quantity, never negative, and each running balance equals its lot's newest entry.

It names the first bad entry of each account (position and public id) and writes one
``ChainCheck`` per account (the ledger page's badge reads the newest), and one audit entry per
clinic. What each check can and cannot catch: docs/ledger.md "Tamper evidence".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db import transaction

from kapclinic.accounts.actor import AnyActor
from kapclinic.audit import services as audit
from kapclinic.audit.checkpoints import CheckpointSink
from kapclinic.audit.models import Operation
from kapclinic.audit.verification import ChainResult, VerificationResult, verify_trail
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.integrity.balances import (
    BadEntry,
    check_rows,
    entry_rows,
    holding_rows,
    lot_facts,
)
from kapclinic.ledger.models import ChainCheck, Entry, StockAccount
from kapclinic.ledger.trail import LEDGER_TRAIL

# Account public ids, positions and counts only: never PHI.
logger = logging.getLogger("kapclinic.ledger.integrity")


@dataclass(frozen=True)
class AccountVerdict:
    account: StockAccount
    entries_checked: int
    first_bad: BadEntry | None  # the earliest problem of the chain and the arithmetic

    @property
    def ok(self) -> bool:
        return self.first_bad is None

    def line(self) -> str:
        """One line for the command: the account, what was checked, the verdict."""
        entries = "1 entry" if self.entries_checked == 1 else f"{self.entries_checked} entries"
        where = f"{self.account.name} ({self.account.chain_key}): {entries}"
        if self.first_bad is None:
            return f"{where}, verified"
        return f"{where}, BROKEN: {describe(self.first_bad)}"


@dataclass
class LedgerVerification:
    chains: VerificationResult
    accounts: list[AccountVerdict] = field(default_factory=list)
    # Problems no account's check can hold: a bad checkpoint line, entries in a chain of no
    # account.
    general: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.general and all(verdict.ok for verdict in self.accounts)

    @property
    def broken(self) -> list[AccountVerdict]:
        return [verdict for verdict in self.accounts if not verdict.ok]


def describe(bad: BadEntry) -> str:
    """The first bad entry in words: its position and public id, then what is wrong."""
    if bad.position is None:
        return bad.problem
    named = f"first bad entry #{bad.position}"
    if bad.public_id is not None:
        named += f" ({bad.public_id})"
    return f"{named}: {bad.problem}"


def _public_id_at(chain: str, position: int) -> UUID | None:
    found: UUID | None = (
        Entry.objects.filter(chain=chain, position=position)
        .values_list("public_id", flat=True)
        .first()
    )
    return found


def _chain_problem(result: ChainResult | None) -> BadEntry | None:
    if result is None or result.problem is None:
        return None
    position = result.problem.position
    public_id = _public_id_at(result.chain, position) if position is not None else None
    return BadEntry(position, public_id, result.problem.text)


def _earliest(*found: BadEntry | None) -> BadEntry | None:
    """The problem of the earliest entry (one that names no entry comes last)."""
    problems = [bad for bad in found if bad is not None]
    problems.sort(key=lambda bad: (bad.position is None, bad.position or 0))
    return problems[0] if problems else None


def check_ledger(
    *, checkpoints: CheckpointSink | None, chunk_size: int = 2000
) -> LedgerVerification:
    """Check every account's chain and arithmetic (reads only; ``verify_ledger`` records it)."""
    chains = verify_trail(LEDGER_TRAIL, chunk_size=chunk_size, checkpoints=checkpoints)
    accounts = list(StockAccount.objects.select_related("clinic").order_by("clinic_id", "pk"))
    by_chain = {account.chain_key: account.pk for account in accounts}
    bad, counts, orphans = check_rows(entry_rows(chunk_size), holding_rows(), by_chain, lot_facts())
    verification = LedgerVerification(chains=chains, general=orphans)
    for problem in chains.problems:
        if problem.chain is None or problem.chain not in by_chain:
            verification.general.append(problem.text)
    for account in accounts:
        chain = chains.chains.get(account.chain_key)
        first_bad = _earliest(_chain_problem(chain), bad.get(account.pk))
        verification.accounts.append(AccountVerdict(account, counts[account.pk], first_bad))
    return verification


def _record(
    actor: AnyActor, verification: LedgerVerification, now: datetime, used_checkpoints: bool
) -> None:
    general = "; ".join(verification.general)
    clinics: dict[UUID, list[AccountVerdict]] = {}
    for verdict in verification.accounts:
        bad = verdict.first_bad
        problem = describe(bad) if bad is not None else general
        ChainCheck.objects.create(
            account=verdict.account,
            checked_at=now,
            ok=bad is None and not general,
            entries_checked=verdict.entries_checked,
            first_bad_position=bad.position if bad is not None else None,
            problem=problem,
            used_checkpoints=used_checkpoints,
        )
        clinics.setdefault(verdict.account.clinic.public_id, []).append(verdict)
    for clinic_id, verdicts in clinics.items():
        audit.record(
            actor=actor.user,
            operation=Operation.READ,
            action=LedgerAuditAction.CHAINS_VERIFIED,
            actor_roles=actor.roles,
            clinic_id=clinic_id,
            detail={
                "accounts": len(verdicts),
                "entries": sum(verdict.entries_checked for verdict in verdicts),
                "broken": {
                    str(v.account.public_id): v.first_bad.position
                    for v in verdicts
                    if v.first_bad is not None
                },
                "checkpoints": used_checkpoints,
                "general_problems": len(verification.general),
            },
        )


def verify_ledger(
    *,
    actor: AnyActor,
    now: datetime,
    checkpoints: CheckpointSink | None,
    chunk_size: int = 2000,
) -> LedgerVerification:
    """Check the ledger (``check_ledger``) and record the verdict: one ``ChainCheck`` per
    account, one audit entry per clinic, a log line per broken account. Writes even when a
    problem is found: that is what the badge must show."""
    verification = check_ledger(checkpoints=checkpoints, chunk_size=chunk_size)
    with transaction.atomic():
        _record(actor, verification, now, used_checkpoints=checkpoints is not None)
    for verdict in verification.broken:
        bad = verdict.first_bad
        logger.error(
            "ledger verification FAILED: account %s, first bad entry #%s",
            verdict.account.public_id,
            bad.position if bad is not None else "?",
        )
    for problem in verification.general:
        logger.error("ledger verification FAILED: %s", problem)
    return verification
