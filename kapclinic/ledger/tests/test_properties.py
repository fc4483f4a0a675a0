"""Issue 14, "Done when": random sequences of entries through the ledger's services, against a
demo clinic's stock, keep every invariant (R-CS-1..4, R-CS-7, R-LT-3):

- each running balance equals the sum of its lot's entries in its account, and the balance
  each entry stores is the sum up to it;
- no balance is ever negative: a debit the balance cannot cover is refused and writes nothing
  (no entry, no balance moved);
- every account's chain verifies (``verify_trail``), and so does the whole ledger
  (``check_ledger``: chains and arithmetic).

Receipts, administrations, waste, transfers, adjustments, reversals, dispensing and returns.
Each example runs in a savepoint of the test's transaction, rolled back after it, so examples
do not see each other. Derandomized (the same sequences every run), no example database.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from kapclinic.audit.verification import verify_trail
from kapclinic.ledger import services
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.integrity.services import check_ledger
from kapclinic.ledger.models import DispensingUse, Entry, EntryKind, Holding, Lot, StockAccount
from kapclinic.ledger.services import WitnessSignature
from kapclinic.ledger.tests.conftest import VIAL_SUPPLIER, Stock
from kapclinic.ledger.tests.histories import patients, witness_for_nurse
from kapclinic.ledger.trail import LEDGER_TRAIL

KINDS = [
    "receive",
    "administer",
    "waste",
    "transfer",
    "adjust",
    "reverse",
    "dispense",
    "return",
]
# (kind, lot, account, a size 1..20, a pick among earlier entries)
Step = tuple[str, str, str, int, int]
STEPS = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(["vials", "devices", "lozenges"]),
    st.sampled_from(["safe", "cart"]),
    st.integers(1, 20),
    st.integers(0, 50),
)

# Every sequence opens with stock of each lot in the safe, so that debits can succeed too.
OPENING: list[Step] = [
    ("receive", lot, "safe", 2, 0) for lot in ("vials", "devices", "lozenges", "lozenges")
]


@pytest.fixture
def hypothesis_home_outside_the_repository(tmp_path: Path) -> Iterator[None]:
    """Hypothesis caches constants under .hypothesis/ even without an example database."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    try:
        yield
    finally:
        set_hypothesis_home_dir(None)


class Run:
    """One sequence of steps: each through its service; what was posted, and what refused."""

    def __init__(self, stock: Stock, witness: WitnessSignature) -> None:
        self.stock, self.witness = stock, witness
        self.entries: list[Entry] = []
        self.refused = 0

    def account(self, name: str) -> StockAccount:
        return self.stock.safe if name == "safe" else self.stock.cart

    def lot(self, name: str) -> Lot:
        lot: Lot = getattr(self.stock, name)
        return lot

    def _whole(self, lot: Lot, units: int) -> tuple[Decimal, int]:
        return units * lot.product.mg_per_unit, units

    def _debit(self, lot: Lot, size: int) -> tuple[Decimal, int]:
        """A debit of `size`: part of a vial in milligrams, or whole devices and lozenges."""
        if lot.product.whole_units:
            return self._whole(lot, 1 + size % 2)
        return Decimal(size * 25), 0

    def apply(self, step: Step) -> list[Entry]:
        kind, lot_name, account_name, size, pick = step
        stock, now = self.stock, self.stock.now
        account, lot = self.account(account_name), self.lot(lot_name)
        actor, patient = stock.nurse, patients(stock)[size % 2]
        if kind == "receive":
            return [
                services.receive(
                    actor=actor,
                    account=account,
                    lot=lot,
                    containers=1 + size % 3,
                    occurred_at=now,
                    now=now,
                    **VIAL_SUPPLIER,
                )
            ]
        if kind == "administer":
            mg, _units = self._debit(lot, size)
            return [
                services.record_administration(
                    actor=actor,
                    account=account,
                    lot=lot,
                    patient=patient,
                    mg=mg,
                    administered_by=actor.user,
                    occurred_at=now,
                    source_key=f"dosing-session:{len(self.entries)}-{pick}",
                    now=now,
                )
            ]
        if kind == "waste":
            mg, _units = self._debit(lot, size)
            return [
                services.waste(
                    actor=actor,
                    account=account,
                    lot=lot,
                    mg=mg,
                    reason="Left in the syringe after a partial dose",
                    witness=self.witness,
                    occurred_at=now,
                    now=now,
                )
            ]
        if kind == "transfer":
            mg, units = self._whole(lot, 1 + size % 2)
            other = self.account("cart" if account_name == "safe" else "safe")
            return list(
                services.transfer(
                    actor=actor,
                    source=account,
                    destination=other,
                    lot=lot,
                    mg=mg,
                    units=units,
                    occurred_at=now,
                    now=now,
                )
            )
        if kind == "adjust":
            mg, units = self._whole(lot, 1) if lot.product.whole_units else (Decimal(size), 0)
            sign = 1 if pick % 3 == 0 else -1
            return [
                services.adjust(
                    actor=stock.prescriber,
                    account=account,
                    lot=lot,
                    mg=sign * mg,
                    units=sign * units,
                    reason="Count found a difference",
                    occurred_at=now,
                    now=now,
                )
            ]
        if kind == "dispense":
            return [
                services.dispense(
                    actor=actor,
                    account=account,
                    lot=stock.lozenges,
                    patient=patient,
                    units=1 + size % 3,
                    use=DispensingUse.AT_HOME if pick % 2 else DispensingUse.SUPERVISED,
                    occurred_at=now,
                    now=now,
                )
            ]
        if kind == "reverse":
            if not self.entries:
                return []
            entry = self.entries[pick % len(self.entries)]
            return [
                services.reverse(
                    actor=stock.prescriber, entry=entry, reason="Keyed in error", now=now
                )
            ]
        # A return reconciles an earlier dispensing (one dispensed first when there is none).
        dispensed_now: list[Entry] = []
        unreconciled = [
            e for e in self.entries if e.kind == EntryKind.DISPENSING and not e.returns.exists()
        ]
        if not unreconciled:
            dispensed_now = self.apply(("dispense", lot_name, account_name, size, pick))
            unreconciled = dispensed_now
        entry = unreconciled[pick % len(unreconciled)]
        dispensed = -entry.units
        returned = min(size % 3, dispensed)
        return [
            *dispensed_now,
            services.record_return(
                actor=actor,
                dispensing=entry,
                units_returned=returned,
                units_taken=dispensed - returned,
                units_lost=0,
                occurred_at=now,
                now=now,
            ),
        ]

    def step(self, step: Step) -> None:
        before = (Entry.objects.count(), _holdings())
        try:
            self.entries += self.apply(step)
        except LedgerError as refusal:
            problems = refusal.problems
        else:
            return
        assert problems, step  # a refusal says why
        self.refused += 1
        assert (Entry.objects.count(), _holdings()) == before, step  # and wrote nothing


def _holdings() -> list[tuple[int, int, Decimal, int, int]]:
    return list(
        Holding.objects.order_by("account_id", "lot_id").values_list(
            "account_id", "lot_id", "balance_mg", "balance_units", "last_position"
        )
    )


def _check_invariants() -> None:
    for account_id, lot_id, mg, units, _last in _holdings():
        entries = Entry.objects.filter(account_id=account_id, lot_id=lot_id)
        # Summed in Python: SQLite's SUM of decimals is a float sum (1e-13 residues).
        assert (mg, units) == (
            sum((e.quantity_mg for e in entries), Decimal(0)),
            sum(e.units for e in entries),
        )
        assert mg >= 0
        assert units >= 0
        running = (Decimal(0), 0)
        for entry in entries.order_by("position"):
            running = (running[0] + entry.quantity_mg, running[1] + entry.units)
            assert (entry.balance_mg, entry.balance_units) == running, entry
            assert entry.balance_mg >= 0
            assert entry.balance_units >= 0
    chains = verify_trail(LEDGER_TRAIL)
    assert chains.ok, chains.problems
    ledger = check_ledger(checkpoints=None)
    assert ledger.ok, [verdict.line() for verdict in ledger.accounts] + ledger.general


@pytest.mark.usefixtures("hypothesis_home_outside_the_repository")
def test_random_sequences_of_entries_keep_every_balance_and_the_chain(
    stock: Stock, demo_password: str
) -> None:
    witness = witness_for_nurse(stock, demo_password)
    seen = {"refused": 0}
    posted: set[str] = set()

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(STEPS, min_size=4, max_size=16))
    def sequence(steps: list[Step]) -> None:
        with transaction.atomic():
            run = Run(stock, witness)
            for step in [*OPENING, *steps]:
                run.step(step)
            _check_invariants()
            posted.update(entry.kind for entry in run.entries)
            seen["refused"] += run.refused
            transaction.set_rollback(True)

    sequence()
    # The sequences exercised both sides: every kind posted, and debits refused.
    assert set(EntryKind) - {EntryKind.DESTRUCTION} - posted == set()
    assert seen["refused"] > 0
