"""The rules of counts and inventories as pure functions of plain values (R-CS-5, R-CS-7).

- A shift count is the count of the opening or of the close of business (R-CS-5 records which):
  before local midday the opening count is due, from midday the close count.
- An inventory (initial or biennial) is due again ``rules.biennial_inventory_due`` after the
  last one; the clinic is told ``INVENTORY_NOTICE_DAYS`` before.
- A counted line keeps a balance's invariants (``quantities.balance_problem``), and may be
  estimated only for an opened container (R-CS-5, 21 CFR 1304.11(e)(3)); whole devices and
  lozenges and sealed containers are counted exactly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kapclinic.ledger.models import StockCount
from kapclinic.ledger.quantities import ProductFacts, Quantity, balance_problem
from kapclinic.ledger.rules import biennial_inventory_due

MIDDAY = time(12)
# R-CS-5: the Today list and the compliance task announce an inventory this long before it is due.
INVENTORY_NOTICE_DAYS = 30


def local_day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of ``now``'s day in the clinic's time zone."""
    return datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)


def shift_moment(now: datetime, tz: ZoneInfo) -> StockCount.Moment:
    """Which count a per-shift cadence wants now: opening before local midday, else close."""
    if now.astimezone(tz).time() < MIDDAY:
        return StockCount.Moment.OPENING
    return StockCount.Moment.CLOSE


def inventory_is_due(last_inventory_on: date, today: date) -> bool:
    """R-CS-5: whether the inventory after one taken on ``last_inventory_on`` is due within the
    notice period of ``today`` (or overdue)."""
    return biennial_inventory_due(last_inventory_on) - timedelta(days=INVENTORY_NOTICE_DAYS) <= (
        today
    )


def inventory_due_cutoff(today: date) -> date:
    """The newest date of a last inventory that makes the next one due (``inventory_is_due``),
    for a query: every last inventory on or before it is due."""
    target = today + timedelta(days=INVENTORY_NOTICE_DAYS)
    try:
        cutoff = target.replace(year=target.year - 2)
    except ValueError:  # 29 February
        cutoff = target.replace(year=target.year - 2, day=28)
    while inventory_is_due(cutoff + timedelta(days=1), today):
        cutoff += timedelta(days=1)
    while not inventory_is_due(cutoff, today):
        cutoff -= timedelta(days=1)
    return cutoff


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59), tzinfo=tz)


def line_problems(facts: ProductFacts, counted: Quantity, *, estimated: bool) -> list[str]:
    """Why a counted quantity cannot be recorded as given (R-CS-5), or nothing."""
    problems = []
    impossible = balance_problem(facts, counted)
    if impossible:
        problems.append(
            impossible.replace("This would leave", "This counts").replace(
                "The balance would", "The count would"
            )
        )
    if estimated:
        if facts.whole_units:
            problems.append(
                f"Whole {facts.unit_name}s are counted exactly: an estimate is allowed only "
                "for an opened container (R-CS-5)."
            )
        elif counted.mg >= counted.units * facts.mg_per_unit:
            problems.append(
                "Every container counted is full: sealed containers are counted exactly, an "
                "estimate is allowed only for an opened one (R-CS-5)."
            )
    return problems
