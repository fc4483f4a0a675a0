"""The ledger's own arithmetic, checked in one streaming pass (issue 14.3; R-CS-7).

The keyed chain proves an entry is as it was written; this proves that what was written adds
up, whoever wrote it (a bug in posting, or someone holding the audit key):

- each entry's balance after it is the previous balance of its lot in its account plus its
  quantity, in milligrams and in units (the first entry of a lot starts from zero);
- no balance is negative, and each keeps the product's invariants (``quantities.
  balance_problem``: whole units for devices and lozenges, milligrams within the containers);
- each entry sits in its own account's chain;
- each ``Holding`` (the running balance the pages read) equals its lot's newest entry.

Entries are read once, in chain order, ``chunk_size`` rows at a time (the chain's unique index
gives the order); holdings and the lots' products once each. No query per entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from kapclinic.ledger.models import Entry, Holding, Lot
from kapclinic.ledger.quantities import ProductFacts, Quantity, balance_problem
from kapclinic.ledger.services.posting import product_facts

# (chain, position, public id, account id, lot id, quantity mg, units, balance mg, units)
EntryRow = tuple[str, int, UUID, int, int, Decimal, int, Decimal, int]
# (account id, lot id, balance mg, balance units, last position)
HoldingRow = tuple[int, int, Decimal, int, int]


@dataclass(frozen=True)
class BadEntry:
    """The first entry of an account that is wrong, and why (position None: no entry to blame)."""

    position: int | None
    public_id: UUID | None
    problem: str


@dataclass
class _Newest:
    balance: Quantity
    position: int
    public_id: UUID


def _quantity(mg: Decimal, units: int) -> str:
    return f"{mg:.3f} mg / {units} unit{'' if units == 1 else 's'}"


@dataclass
class _Account:
    """One account's walk: the newest entry of each lot so far, and its first bad entry."""

    account_id: int
    newest: dict[int, _Newest]
    bad: BadEntry | None = None

    def take(self, row: EntryRow, facts: dict[int, ProductFacts]) -> None:
        _chain, position, public_id, account_id, lot_id, mg, units, balance_mg, balance_units = row
        if self.bad is not None:
            return
        problem = ""
        before = self.newest.get(lot_id)
        expected = (before.balance if before else Quantity(Decimal(0), 0)) + Quantity(mg, units)
        stored = Quantity(balance_mg, balance_units)
        if account_id != self.account_id:
            problem = "it belongs to another account than the chain it is in"
        elif stored != expected:
            problem = (
                f"it records a balance of {_quantity(stored.mg, stored.units)} after it, but "
                f"its lot's balance before it plus its quantity is "
                f"{_quantity(expected.mg, expected.units)}"
            )
        elif stored.mg < 0 or stored.units < 0:
            problem = f"it leaves a negative balance, {_quantity(stored.mg, stored.units)}"
        elif lot_id in facts and (wrong := balance_problem(facts[lot_id], stored)):
            problem = f"its balance is impossible: {wrong}"
        if problem:
            self.bad = BadEntry(position, public_id, f"entry #{position}: {problem}")
            return
        self.newest[lot_id] = _Newest(stored, position, public_id)

    def check_holding(self, holding: HoldingRow) -> None:
        if self.bad is not None:
            return
        _account, lot_id, mg, units, last_position = holding
        newest = self.newest.get(lot_id)
        if newest is None:
            if mg != 0 or units != 0 or last_position != 0:
                self.bad = BadEntry(
                    None,
                    None,
                    f"a running balance of {_quantity(mg, units)} is recorded for a lot "
                    "that has no entry in this account",
                )
            return
        if (Quantity(mg, units), last_position) != (newest.balance, newest.position):
            # Blame the later of the two: an entry the running balance names but the chain no
            # longer holds is missing; otherwise the newest entry disagrees with it.
            later = last_position > newest.position
            self.bad = BadEntry(
                last_position if later else newest.position,
                None if later else newest.public_id,
                f"the running balance of a lot says {_quantity(mg, units)} after #"
                f"{last_position}, but its newest entry, #{newest.position}, leaves "
                f"{_quantity(newest.balance.mg, newest.balance.units)}",
            )

    def check_every_lot_held(self, held: set[int]) -> None:
        if self.bad is not None:
            return
        for lot_id, newest in sorted(self.newest.items(), key=lambda item: item[1].position):
            if lot_id not in held:
                self.bad = BadEntry(
                    newest.position,
                    newest.public_id,
                    f"entry #{newest.position}'s lot has no running balance in this account",
                )
                return


def check_rows(
    rows: Iterable[EntryRow],
    holdings: Iterable[HoldingRow],
    accounts: dict[str, int],
    facts: dict[int, ProductFacts],
) -> tuple[dict[int, BadEntry], dict[int, int], list[str]]:
    """(the first bad entry of each account with one, entries read per account, entries in
    chains of no account). ``rows`` in chain and position order; ``accounts``: chain key ->
    account id; ``facts``: lot id -> its product's facts."""
    walks = {account_id: _Account(account_id, {}) for account_id in accounts.values()}
    counts = dict.fromkeys(walks, 0)
    strays: dict[str, int] = {}
    for row in rows:
        account_id = accounts.get(row[0])
        if account_id is None:
            strays[row[0]] = strays.get(row[0], 0) + 1
            continue
        counts[account_id] += 1
        walks[account_id].take(row, facts)
    held: dict[int, set[int]] = {}
    for holding in holdings:
        walk = walks.get(holding[0])
        if walk is not None:
            walk.check_holding(holding)
            held.setdefault(holding[0], set()).add(holding[1])
    for account_id, walk in walks.items():
        walk.check_every_lot_held(held.get(account_id, set()))
    bad = {account_id: walk.bad for account_id, walk in walks.items() if walk.bad is not None}
    orphans = [
        f"chain {chain}: {count} entries in a chain that is no account's (forged or moved)"
        for chain, count in sorted(strays.items())
    ]
    return bad, counts, orphans


def entry_rows(chunk_size: int) -> Iterator[EntryRow]:
    """Every entry's numbers, in chain and position order, streamed in chunks."""
    rows = (
        Entry.objects.order_by("chain", "position")
        .values_list(
            "chain",
            "position",
            "public_id",
            "account_id",
            "lot_id",
            "quantity_mg",
            "units",
            "balance_mg",
            "balance_units",
        )
        .iterator(chunk_size=chunk_size)
    )
    return rows


def holding_rows() -> list[HoldingRow]:
    return list(
        Holding.objects.order_by("account_id", "lot_id").values_list(
            "account_id", "lot_id", "balance_mg", "balance_units", "last_position"
        )
    )


def lot_facts() -> dict[int, ProductFacts]:
    """Each lot's product facts (one query): what ``balance_problem`` needs."""
    return {lot.pk: product_facts(lot) for lot in Lot.objects.select_related("product")}
