"""Helpers of the count tests: two counters who sign with their own credentials (the stock's
nurse and prescriber, given a known password), and a count taken from start to submission."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kapclinic.accounts.actor import Actor
from kapclinic.ledger import services as ledger
from kapclinic.ledger.counts import services
from kapclinic.ledger.models import Lot, StockAccount, StockCount
from kapclinic.ledger.tests.conftest import Stock


@dataclass(frozen=True)
class Counters:
    nurse: Actor
    prescriber: Actor


PASSWORD = "counting-at-the-safe-2026"


def counters(stock: Stock) -> Counters:
    for actor in (stock.nurse, stock.prescriber):
        if not actor.user.check_password(PASSWORD):
            actor.user.set_password(PASSWORD)
            actor.user.save(update_fields=["password"])
    return Counters(nurse=stock.nurse, prescriber=stock.prescriber)


def signature(actor: Actor, signer: Actor, now: datetime) -> ledger.WitnessSignature:
    return ledger.sign_as_witness(
        actor=actor, email=signer.user.email, password=PASSWORD, ip_address=None, now=now
    )


def take_count(
    stock: Stock,
    lines: Mapping[Lot, tuple[Decimal | str | None, int]],
    *,
    account: StockAccount | None = None,
    kind: StockCount.Kind = StockCount.Kind.DAY,
    now: datetime | None = None,
) -> StockCount:
    """A count by the nurse, signed by the prescriber: ``lines`` maps lot -> (mg, units)."""
    people = counters(stock)
    when = now or stock.now
    count = services.start_count(
        actor=people.nurse,
        account=account or stock.safe,
        kind=kind,
        moment=StockCount.Moment.CLOSE,
        now=when,
    )
    for lot, (mg, units) in lines.items():
        services.record_line(
            actor=people.nurse,
            count=count,
            lot=lot,
            counted_mg=mg,
            counted_units=units,
            estimated=False,
            now=when,
        )
    return services.submit_count(
        actor=people.nurse,
        count=count,
        second_counter=signature(people.nurse, people.prescriber, when),
        now=when,
    )
