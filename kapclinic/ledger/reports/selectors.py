"""Reads of the ledger's report (issue 14.5; R-CS-6, 21 CFR 1304.04): every entry of one
account, optionally one product, over a date range, readily retrievable.

The range is of the entries' actual dates (``occurred_at``, 21 CFR 1304.21(d)), as clinic-local
days. Balances are sums of the entries themselves: the opening balance of a lot is the sum of
its entries dated before the range, the closing balance that plus the range's entries, so the
report reads the record, not the running balance it should agree with (verify_ledger checks
that). A report names patients (R-CS-2), so viewing and exporting it are audited.

Queries do not grow with the data: the clinic's settings, one grouped sum for the balances and
totals, one page of entries (the CSV: the same entries streamed in chunks), and the audit entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Final

from django.db import connection, transaction
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Round

from kapclinic.accounts.actor import Actor
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.models import Entry, EntryKind, LedgerSettings, Lot, Product, StockAccount
from kapclinic.ledger.rules import retained_until

PAGE_SIZE: Final = 100  # a page renders in a fraction of the 150 ms target
ZERO: Final = Decimal("0.000")
MG: Final = Decimal("0.001")


@dataclass(frozen=True)
class ReportQuery:
    """Which entries a report shows: an account of the actor's clinic, a product or all of
    them, and the clinic-local days ``start`` to ``end`` inclusive."""

    account: StockAccount
    product: Product | None
    start: date
    end: date

    def as_detail(self) -> dict[str, str]:
        """The query as audit detail (ids and dates, no names)."""
        return {
            "account": str(self.account.public_id),
            "product": str(self.product.public_id) if self.product else "all",
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
        }

    def instants(self) -> tuple[datetime, datetime]:
        tz = self.account.clinic.tzinfo
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )


@dataclass
class Balance:
    """Opening (before the range) and closing (at its end) balances, milligrams and units."""

    opening_mg: Decimal = ZERO
    opening_units: int = 0
    closing_mg: Decimal = ZERO
    closing_units: int = 0


@dataclass
class LotBalance(Balance):
    product: str = ""
    unit: str = ""
    lot: str = ""
    expires_on: date | None = None


@dataclass
class KindTotal:
    product: str
    kind: EntryKind
    entries: int = 0
    mg: Decimal = ZERO
    units: int = 0


@dataclass
class ProductBalance(Balance):
    product: str = ""
    unit: str = ""
    lots: list[LotBalance] = field(default_factory=list)
    totals: list[KindTotal] = field(default_factory=list)


@dataclass(frozen=True)
class ReportPage:
    number: int
    count: int  # entries in the whole range
    size: int = PAGE_SIZE

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def first_row(self) -> int:
        return 0 if self.count == 0 else (self.number - 1) * self.size + 1

    @property
    def last_row(self) -> int:
        return min(self.number * self.size, self.count)


@dataclass
class LedgerReport:
    query: ReportQuery
    products: list[ProductBalance]
    page: ReportPage
    entries: list[Entry]
    retention_years: int
    retained_until: date  # the range's first day's records are kept at least until then


def report_choices(*, actor: Actor) -> tuple[list[StockAccount], list[Product]]:
    """The accounts and products of the actor's clinic a report may be asked for (closed and
    retired ones too: their records are kept)."""
    clinic = actor.current_clinic
    return (
        list(StockAccount.objects.filter(clinic=clinic).order_by("name")),
        list(Product.objects.filter(clinic=clinic).order_by("name")),
    )


def _entries(query: ReportQuery) -> QuerySet[Entry]:
    start, end = query.instants()
    entries = Entry.objects.filter(
        account=query.account, occurred_at__gte=start, occurred_at__lt=end
    )
    if query.product is not None:
        entries = entries.filter(lot__product=query.product)
    return entries


def report_entries(query: ReportQuery) -> QuerySet[Entry]:
    """The range's entries in the order they happened, with what a row shows (one query)."""
    return (
        _entries(query)
        .select_related("lot__product", "patient")
        .annotate(
            reverses_position=F("reverses__position"), reconciles_position=F("reconciles__position")
        )
        .order_by("occurred_at", "position")
    )


def _mg_sum(condition: Q) -> Sum:
    """The exact sum of the milligrams. PostgreSQL sums numerics exactly; SQLite keeps a decimal
    as a binary float and sums floats (0.1 + 0.2 is not 0.3 there), so there each value is
    summed as whole thousandths of a milligram (times 1000, rounded), which add up exactly."""
    if connection.vendor == "postgresql":
        return Sum("quantity_mg", filter=condition)
    return Sum(Round(F("quantity_mg") * 1000), filter=condition, output_field=FloatField())


def _mg(total: float | Decimal | None) -> Decimal:
    if connection.vendor == "postgresql":
        return Decimal(total or 0).quantize(MG)
    return (Decimal(round(total or 0)) / 1000).quantize(MG)


def _balances(query: ReportQuery) -> tuple[list[ProductBalance], int]:
    """Opening and closing balances per lot and product, totals per product and kind, and the
    number of entries in the range: one grouped sum over the account's entries up to the
    range's end (no join: the lots, a handful, are read after)."""
    start, end = query.instants()
    before = Q(occurred_at__lt=start)
    within = Q(occurred_at__gte=start)
    rows = Entry.objects.filter(account=query.account, occurred_at__lt=end)
    if query.product is not None:
        rows = rows.filter(lot__product=query.product)
    grouped = list(
        rows.values("lot_id", "kind")
        .annotate(
            before_mg=_mg_sum(before),
            before_units=Sum("units", filter=before),
            within_mg=_mg_sum(within),
            within_units=Sum("units", filter=within),
            within_count=Count("id", filter=within),
        )
        .order_by()
    )
    lots_by_id = Lot.objects.select_related("product").in_bulk({row["lot_id"] for row in grouped})
    order = list(EntryKind)
    grouped.sort(
        key=lambda row: (
            lots_by_id[row["lot_id"]].product.name,
            lots_by_id[row["lot_id"]].expires_on,
            lots_by_id[row["lot_id"]].number,
            order.index(EntryKind(row["kind"])),
        )
    )
    products: dict[int, ProductBalance] = {}
    lots: dict[int, LotBalance] = {}
    totals: dict[tuple[int, str], KindTotal] = {}
    count = 0
    for row in grouped:
        found = lots_by_id[row["lot_id"]]
        name, unit = found.product.name, found.product.unit_kind
        product = products.setdefault(found.product_id, ProductBalance(product=name, unit=unit))
        lot = lots.get(found.pk)
        if lot is None:
            lot = LotBalance(product=name, unit=unit, lot=found.number, expires_on=found.expires_on)
            lots[found.pk] = lot
            product.lots.append(lot)
        before_mg, before_units = _mg(row["before_mg"]), row["before_units"] or 0
        within_mg, within_units = _mg(row["within_mg"]), row["within_units"] or 0
        for holder in (lot, product):
            holder.opening_mg += before_mg
            holder.opening_units += before_units
            holder.closing_mg += before_mg + within_mg
            holder.closing_units += before_units + within_units
        if row["within_count"]:
            total = totals.get((found.product_id, row["kind"]))
            if total is None:
                total = KindTotal(name, EntryKind(row["kind"]))
                totals[(found.product_id, row["kind"])] = total
                product.totals.append(total)
            total.entries += row["within_count"]
            total.mg += within_mg
            total.units += within_units
            count += row["within_count"]
    return list(products.values()), count


def _retention_years(account: StockAccount) -> int:
    found = (
        LedgerSettings.objects.filter(clinic_id=account.clinic_id)
        .values_list("retention_years", flat=True)
        .first()
    )
    return max(found or 2, 2)


def _audit(actor: Actor, action: LedgerAuditAction, query: ReportQuery, **detail: object) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.READ
            if action == LedgerAuditAction.REPORT_VIEWED
            else Operation.EXPORT,
            action=action,
            actor_roles=actor.roles,
            clinic_id=actor.current_clinic.public_id,
            target=audit.target_of(query.account),
            detail={**query.as_detail(), **{k: str(v) for k, v in detail.items()}},
        )


def view_ledger_report(*, actor: Actor, query: ReportQuery, page_number: int) -> LedgerReport:
    """One page of the report with the range's balances and totals; the view is audited (the
    report names patients, R-CS-2). A page past the last shows the last."""
    if query.account.clinic_id != actor.current_clinic.pk:
        msg = "That account is not in your clinic."
        raise PermissionError(msg)
    products, count = _balances(query)
    last = ReportPage(number=1, count=count, size=PAGE_SIZE).num_pages
    page = ReportPage(number=min(max(page_number, 1), last), count=count, size=PAGE_SIZE)
    offset = (page.number - 1) * page.size
    entries = list(report_entries(query)[offset : offset + page.size])
    years = _retention_years(query.account)
    named = {e.patient_id for e in entries if e.patient_id is not None}
    _audit(
        actor,
        LedgerAuditAction.REPORT_VIEWED,
        query,
        page=page.number,
        entries=count,
        patients_named=len(named),
    )
    return LedgerReport(
        query=query,
        products=products,
        page=page,
        entries=entries,
        retention_years=years,
        retained_until=retained_until(query.start, years),
    )


def export_ledger_report(*, actor: Actor, query: ReportQuery) -> Iterator[Entry]:
    """Every entry of the report, streamed in chunks (no row limit); the export is audited
    before the first row is read."""
    if query.account.clinic_id != actor.current_clinic.pk:
        msg = "That account is not in your clinic."
        raise PermissionError(msg)
    _audit(actor, LedgerAuditAction.REPORT_EXPORTED, query)
    return report_entries(query).iterator(chunk_size=2000)
