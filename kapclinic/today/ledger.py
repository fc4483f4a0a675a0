"""The controlled-substance ledger's Today lists (issue 14.4): counts due, open discrepancies,
open DEA tasks, inventories due (R-CS-5, R-CS-7) and lots expiring with stock. Each list is one
query (``todo.list_todo``); the rows come from ``kapclinic.ledger.counts.selectors``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.accounts.permissions import Capability
from kapclinic.ledger.counts import selectors
from kapclinic.ledger.models import ComplianceTask, Discrepancy, Holding, StockAccount
from kapclinic.ledger.rules import biennial_inventory_due
from kapclinic.today.items import ListSpec, TodoItem, clinic_only, each

# The written notice (one business day) is always urgent; Form 106 in its last week.
URGENT_WITHIN: Final = timedelta(days=7)


def _count_due(account: StockAccount) -> TodoItem:
    return TodoItem(
        label=account.name,
        detail="Not counted yet for this shift or day: count it with a colleague (two people, "
        "blind)",
        url=reverse("ledger:count-account", args=[account.public_id]),
    )


def _discrepancy(d: Discrepancy) -> TodoItem:
    lot = d.line.lot
    return TodoItem(
        label=f"{d.account.name}: {lot.product.name}, lot {lot.number}",
        detail=f"Count differs by {d.difference_mg.normalize():f} mg "
        f"({d.difference_units} units): investigate and close with a finding (R-CS-7)",
        url=reverse("ledger:discrepancy", args=[d.public_id]),
        since=d.opened_at,
        since_label="open for {}",
        urgent=True,
    )


def _dea_task(now: datetime) -> Callable[[ComplianceTask], TodoItem]:
    def item(t: ComplianceTask) -> TodoItem:
        tz = t.clinic.tzinfo
        overdue = t.due_at <= now
        return TodoItem(
            label=t.get_kind_display(),
            detail=("Overdue since " if overdue else "Due by ")
            + f"{t.due_at.astimezone(tz):%a %d %b %Y %H:%M} (R-CS-7)",
            url=reverse("ledger:task", args=[t.public_id]),
            urgent=t.kind == ComplianceTask.Kind.DEA_WRITTEN_NOTICE
            or t.due_at <= now + URGENT_WITHIN,
        )

    return item


def _inventory(now: datetime) -> Callable[[StockAccount], TodoItem]:
    def item(account: StockAccount) -> TodoItem:
        last: datetime | None = account.last_inventory_at  # type: ignore[attr-defined]
        if last is None:
            detail = "No inventory yet: take the initial inventory (R-CS-5)"
            overdue = True
        else:
            tz = account.clinic.tzinfo
            due = biennial_inventory_due(last.astimezone(tz).date())
            detail = f"Biennial inventory due by {due:%d %b %Y} (R-CS-5)"
            overdue = due <= now.astimezone(tz).date()
        return TodoItem(
            label=account.name,
            detail=detail,
            url=reverse("ledger:count-account", args=[account.public_id]),
            urgent=overdue,
        )

    return item


def _expiring(now: datetime) -> Callable[[Holding], TodoItem]:
    def item(h: Holding) -> TodoItem:
        lot = h.lot
        expired = lot.expires_on < now.astimezone(h.account.clinic.tzinfo).date()
        return TodoItem(
            label=f"{lot.product.name}, lot {lot.number}",
            detail=f"{h.account.name}: {h.balance_units} {lot.product.get_unit_kind_display()}"
            f"(s), {'expired' if expired else 'expires'} {lot.expires_on:%d %b %Y}",
            url=reverse("ledger:expiry"),
            urgent=expired,
        )

    return item


_STOCK_STAFF: Final = frozenset({Role.PRESCRIBER, Role.NURSE})

LEDGER_SPECS: Final[tuple[ListSpec, ...]] = (
    ListSpec(
        "counts_due",
        "Stock counts due",
        "Every storage account has been counted for this shift or day.",
        _STOCK_STAFF,
        Capability.COUNT_STOCK,
        selectors.accounts_due_for_count,
        each(_count_due),
        "ledger:counts",
    ),
    ListSpec(
        "discrepancies",
        "Count discrepancies to investigate",
        "No count discrepancy is open.",
        frozenset({Role.PRESCRIBER}),
        Capability.CORRECT_LEDGER,
        clinic_only(selectors.open_discrepancies),
        each(_discrepancy),
        "ledger:discrepancies",
    ),
    ListSpec(
        "dea_tasks",
        "DEA notices and Form 106 due",
        "No DEA notice or Form 106 is due.",
        frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN}),
        Capability.REPORT_LEDGER,
        clinic_only(selectors.open_dea_tasks),
        _dea_task,
        "ledger:tasks",
    ),
    ListSpec(
        "inventories_due",
        "Inventories due",
        "No inventory is due within 30 days.",
        _STOCK_STAFF,
        Capability.COUNT_STOCK,
        selectors.accounts_for_inventory,
        _inventory,
        "ledger:counts",
    ),
    ListSpec(
        "expiring",
        "Lots expiring within 30 days",
        "No lot with stock expires within 30 days.",
        _STOCK_STAFF,
        Capability.VIEW_LEDGER,
        selectors.expiring_soon,
        _expiring,
        "ledger:expiry",
    ),
)
