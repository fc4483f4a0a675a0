"""Reads for counts, discrepancies, DEA tasks and the expiry report, scoped to one clinic.

Blind counts (issue 14.4): nothing here hands an in-progress count's expected balance to a
page. ``lots_to_count`` names the lots to count, never their balance; the expected balance is
read by the submission (``services.submit_count``) under the account's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TypeVar
from uuid import UUID

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from kapclinic.accounts.models import Clinic, OpeningHours
from kapclinic.ledger.counts.policy import inventory_due_cutoff, local_day_start, shift_moment
from kapclinic.ledger.models import (
    ComplianceTask,
    CountLine,
    Discrepancy,
    Holding,
    LedgerSettings,
    Lot,
    StockAccount,
    StockCount,
)

INVENTORY_KINDS = (StockCount.Kind.INITIAL, StockCount.Kind.BIENNIAL)
DEA_KINDS = (ComplianceTask.Kind.DEA_WRITTEN_NOTICE, ComplianceTask.Kind.DEA_FORM_106)
EXPIRY_SOON_DAYS = 30
T = TypeVar("T")


def _one(found: T | None) -> T:
    """The row, or 404 alike for missing and another clinic's."""
    if found is None:
        raise Http404
    return found


def active_accounts(clinic: Clinic) -> QuerySet[StockAccount]:
    return (
        StockAccount.objects.filter(clinic=clinic, is_active=True)
        .select_related("clinic")
        .order_by("name")
    )


def account_of(clinic: Clinic, public_id: UUID) -> StockAccount:
    return _one(StockAccount.objects.filter(clinic=clinic, public_id=public_id).first())


def counts_of(account: StockAccount) -> QuerySet[StockCount]:
    return StockCount.objects.filter(account=account).order_by("-started_at")


def count_of(clinic: Clinic, public_id: UUID) -> StockCount:
    return _one(
        StockCount.objects.select_related("account")
        .filter(account__clinic=clinic, public_id=public_id)
        .first()
    )


@dataclass(frozen=True)
class LotToCount:
    """One row of a count's entry page: the lot and what has been counted of it (no balance)."""

    lot: Lot
    line: CountLine | None


def lots_to_count(count: StockCount) -> list[LotToCount]:
    """The lots the account has held (whatever their balance: zero or not is not shown) and
    those already counted, in expiry order (two queries)."""
    lines = {
        line.lot_id: line
        for line in CountLine.objects.filter(count=count).select_related("lot__product")
    }
    held = Lot.objects.filter(
        Q(holdings__account_id=count.account_id) | Q(pk__in=list(lines))
    ).select_related("product")
    return [LotToCount(lot, lines.get(lot.pk)) for lot in held.distinct().order_by("expires_on")]


def countable_lots(clinic: Clinic) -> QuerySet[Lot]:
    """Every lot of the clinic's products (a lot found in the safe that its ledger never held
    is counted too, and opens a discrepancy)."""
    return (
        Lot.objects.filter(product__clinic=clinic)
        .select_related("product")
        .order_by("product__name", "expires_on")
    )


def lot_of(clinic: Clinic, public_id: UUID) -> Lot:
    return _one(
        Lot.objects.select_related("product")
        .filter(product__clinic=clinic, public_id=public_id)
        .first()
    )


def result_lines(count: StockCount) -> list[CountLine]:
    """A submitted count's lines with their expected balances and discrepancies (one query)."""
    if count.status != StockCount.Status.SUBMITTED:
        return []
    return list(
        CountLine.objects.filter(count=count)
        .select_related("lot__product", "discrepancy")
        .order_by("lot__expires_on", "lot__number")
    )


def discrepancies_opened_by(count: StockCount) -> int:
    return Discrepancy.objects.filter(line__count=count).count()


def holdings_of(account: StockAccount) -> QuerySet[Holding]:
    """The balances a submission reads (services only: never on a page before submission)."""
    return Holding.objects.filter(account=account).select_related("lot__product")


def cadence_of(clinic: Clinic) -> LedgerSettings.CountCadence:
    found = LedgerSettings.objects.filter(clinic=clinic).values_list("count_cadence", flat=True)
    return LedgerSettings.CountCadence(found.first() or LedgerSettings.CountCadence.DAY)


# --- discrepancies and tasks ---------------------------------------------------------------


def discrepancies(clinic: Clinic, *, open_only: bool) -> QuerySet[Discrepancy]:
    rows = Discrepancy.objects.filter(account__clinic=clinic).select_related(
        "account", "line__lot__product", "line__count"
    )
    return rows.filter(status=Discrepancy.Status.OPEN) if open_only else rows


def discrepancy_of(clinic: Clinic, public_id: UUID) -> Discrepancy:
    return _one(discrepancies(clinic, open_only=False).filter(public_id=public_id).first())


def tasks(clinic: Clinic, *, open_only: bool) -> QuerySet[ComplianceTask]:
    rows = ComplianceTask.objects.filter(clinic=clinic).select_related(
        "clinic", "discrepancy__account"
    )
    if open_only:
        rows = rows.filter(status=ComplianceTask.Status.OPEN)
    return rows.order_by("status", "due_at")


def task_of(clinic: Clinic, public_id: UUID) -> ComplianceTask:
    return _one(tasks(clinic, open_only=False).filter(public_id=public_id).first())


def open_dea_tasks(clinic: Clinic) -> QuerySet[ComplianceTask]:
    return tasks(clinic, open_only=True).filter(kind__in=DEA_KINDS)


def open_discrepancies(clinic: Clinic) -> QuerySet[Discrepancy]:
    return discrepancies(clinic, open_only=True).order_by("opened_at")


# --- what is due (the Today lists, the daily job) -------------------------------------------


def accounts_due_for_count(clinic: Clinic, now: datetime) -> QuerySet[StockAccount]:
    """Active accounts without a submitted count for this clinic day (cadence "day") or this
    shift (cadence "shift": the opening or the close count, ``policy.shift_moment``), on a day
    the clinic opens. One query (the cadence and the opening hours are subqueries)."""
    tz = clinic.tzinfo
    start = local_day_start(now, tz)
    today = now.astimezone(tz).date()
    counted = StockCount.objects.filter(
        account=OuterRef("pk"),
        status=StockCount.Status.SUBMITTED,
        submitted_at__gte=start,
        submitted_at__lt=start + timedelta(days=1),
    )
    per_shift = LedgerSettings.objects.filter(
        clinic=clinic, count_cadence=LedgerSettings.CountCadence.SHIFT
    )
    moment = shift_moment(now, tz)
    shift_counted = counted.filter(moment=moment)
    opens_today = OpeningHours.objects.filter(clinic=clinic, weekday=today.weekday())
    return (
        active_accounts(clinic)
        .filter(Exists(opens_today))
        .exclude(Exists(counted) & ~Exists(per_shift))
        .exclude(Exists(shift_counted) & Exists(per_shift))
    )


def _with_last_inventory(accounts: QuerySet[StockAccount]) -> QuerySet[StockAccount]:
    """Annotated ``last_inventory_at``: the newest submitted initial or biennial inventory."""
    last = (
        StockCount.objects.filter(
            account=OuterRef("pk"), kind__in=INVENTORY_KINDS, status=StockCount.Status.SUBMITTED
        )
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    return accounts.annotate(last_inventory_at=Subquery(last))


def _inventory_cutoff(clinic: Clinic, now: datetime) -> datetime:
    """A last inventory submitted before this moment makes the next one due (R-CS-5)."""
    tz = clinic.tzinfo
    cutoff = inventory_due_cutoff(now.astimezone(tz).date())
    return datetime.combine(cutoff + timedelta(days=1), time(0), tzinfo=tz)


def accounts_due_for_inventory(clinic: Clinic, now: datetime) -> QuerySet[StockAccount]:
    """R-CS-5: active accounts whose last initial or biennial inventory makes the next one due
    within ``policy.INVENTORY_NOTICE_DAYS`` (annotated ``last_inventory_at``), oldest first."""
    after_cutoff = _inventory_cutoff(clinic, now)
    return (
        _with_last_inventory(active_accounts(clinic))
        .filter(Q(last_inventory_at__lt=after_cutoff))
        .order_by(F("last_inventory_at").asc(), "name")
    )


def accounts_for_inventory(clinic: Clinic, now: datetime) -> QuerySet[StockAccount]:
    """The Today list's rows: accounts due for their biennial inventory, and accounts never
    inventoried (R-CS-5: an initial inventory on the first day of handling), those first."""
    after_cutoff = _inventory_cutoff(clinic, now)
    return (
        _with_last_inventory(active_accounts(clinic))
        .filter(Q(last_inventory_at__isnull=True) | Q(last_inventory_at__lt=after_cutoff))
        .order_by(F("last_inventory_at").asc(nulls_first=True), "name")
    )


def expiring_holdings(clinic: Clinic, now: datetime, *, days: int) -> QuerySet[Holding]:
    """Lots with stock that expire within ``days`` of today or have expired, soonest first."""
    today = now.astimezone(clinic.tzinfo).date()
    return (
        Holding.objects.filter(
            account__clinic=clinic,
            lot__expires_on__lte=today + timedelta(days=days),
        )
        .filter(Q(balance_mg__gt=0) | Q(balance_units__gt=0))
        .select_related("account__clinic", "lot__product")
        .order_by("lot__expires_on", "account__name", "lot__number")
    )


def expiring_soon(clinic: Clinic, now: datetime) -> QuerySet[Holding]:
    return expiring_holdings(clinic, now, days=EXPIRY_SOON_DAYS)
