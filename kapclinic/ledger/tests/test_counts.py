"""Counts and reconciliation (issue 14.4): blind two-person counts, discrepancies closed with a
finding, the DEA tasks of a theft or significant loss (R-CS-7), inventories (R-CS-5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from kapclinic.accounts.actor import SYSTEM
from kapclinic.audit.verification import verify_trail
from kapclinic.ledger.counts import services
from kapclinic.ledger.counts.policy import (
    inventory_due_cutoff,
    inventory_is_due,
    line_problems,
    shift_moment,
)
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import (
    ComplianceTask,
    CountLine,
    Discrepancy,
    Entry,
    EntryKind,
    Holding,
    StockCount,
)
from kapclinic.ledger.quantities import ProductFacts, Quantity
from kapclinic.ledger.tests.conftest import Stock
from kapclinic.ledger.tests.counting import counters, signature, take_count
from kapclinic.ledger.trail import LEDGER_TRAIL
from kapclinic.scheduling.models.closures import ClinicClosure

Finding = Discrepancy.Finding


def _friday_afternoon(stock: Stock) -> datetime:
    tz = stock.clinic.tzinfo
    day = stock.now.astimezone(tz).date() + timedelta(days=1)
    while day.weekday() != 4:
        day += timedelta(days=1)
    return datetime.combine(day, time(15), tzinfo=tz)


def test_a_count_that_matches_opens_no_discrepancy_and_stores_the_expected_balance(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 3)
    count = take_count(stock, {stock.vials: (None, 3)})
    line = CountLine.objects.get(count=count)
    assert (line.expected_mg, line.expected_units) == (Decimal(1500), 3)
    assert count.status == StockCount.Status.SUBMITTED
    assert count.at_position == 1
    assert not Discrepancy.objects.exists()


def test_r_cs_7_a_difference_and_a_lot_not_counted_each_open_a_discrepancy(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 3)
    receive(stock, stock.devices, 2)
    count = take_count(stock, {stock.vials: ("1250", 3)})
    found = {
        d.line.lot_id: (d.difference_mg, d.difference_units)
        for d in Discrepancy.objects.select_related("line")
    }
    assert found == {
        stock.vials.pk: (Decimal(-250), 0),
        stock.devices.pk: (Decimal(-56), -2),  # held, not counted: counted as zero
    }
    assert CountLine.objects.filter(count=count).count() == 2


def test_a_count_is_signed_by_another_person_and_submitted_once(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 1)
    people = counters(stock)
    count = services.start_count(
        actor=people.nurse,
        account=stock.safe,
        kind=StockCount.Kind.DAY,
        moment=StockCount.Moment.OPENING,
        now=stock.now,
    )
    with pytest.raises(LedgerError, match="another person"):
        services.submit_count(
            actor=people.prescriber,
            count=count,
            second_counter=signature(people.prescriber, people.nurse, stock.now),
            now=stock.now,
        )
    assert StockCount.objects.get(pk=count.pk).status == StockCount.Status.IN_PROGRESS
    done = services.submit_count(
        actor=people.nurse,
        count=count,
        second_counter=signature(people.nurse, people.prescriber, stock.now),
        now=stock.now,
    )
    assert done.second_counter == people.prescriber.user
    with pytest.raises(LedgerError, match="already been submitted"):
        services.submit_count(
            actor=people.nurse,
            count=count,
            second_counter=signature(people.nurse, people.prescriber, stock.now),
            now=stock.now,
        )
    with pytest.raises(LedgerError, match="no longer change"):
        services.record_line(
            actor=people.nurse,
            count=count,
            lot=stock.vials,
            counted_mg=None,
            counted_units=0,
            estimated=False,
            now=stock.now,
        )
    assert Discrepancy.objects.count() == 1  # the vial not counted


def test_r_cs_5_an_estimate_only_for_an_opened_container_and_refusals_write_nothing(
    stock: Stock,
) -> None:
    people = counters(stock)
    count = services.start_count(
        actor=people.nurse,
        account=stock.safe,
        kind=StockCount.Kind.DAY,
        moment=StockCount.Moment.OPENING,
        now=stock.now,
    )
    call: dict[str, Any] = {"actor": people.nurse, "count": count, "now": stock.now}
    for lot, mg, units, estimated, message in (
        (stock.devices, None, 2, True, "counted exactly"),
        (stock.vials, None, 2, True, "sealed containers"),
        (stock.vials, "1200", 2, False, "would hold"),
        (stock.vials, "12.0001", 1, False, "three decimal places"),
        (stock.devices, "30", 1, False, "whole"),
    ):
        with pytest.raises(LedgerError, match=message):
            services.record_line(
                **call, lot=lot, counted_mg=mg, counted_units=units, estimated=estimated
            )
    assert not CountLine.objects.filter(count=count).exists()
    line = services.record_line(
        **call, lot=stock.vials, counted_mg="730.5", counted_units=2, estimated=True
    )
    assert (line.counted_mg, line.estimated) == (Decimal("730.500"), True)


def test_closing_a_counting_error_changes_no_balance(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 2)
    take_count(stock, {stock.vials: ("900", 2)})
    discrepancy = Discrepancy.objects.get()
    with pytest.raises(LedgerError):  # a reason of invisible characters is no investigation
        services.close_discrepancy(
            actor=stock.prescriber,
            discrepancy=discrepancy,
            finding=Finding.COUNTING_ERROR,
            investigation="\u202e" * 20,
            now=stock.now,
        )
    with pytest.raises(LedgerError, match="does not allow"):
        services.close_discrepancy(
            actor=stock.nurse,
            discrepancy=discrepancy,
            finding=Finding.COUNTING_ERROR,
            investigation="Recounted with the charge nurse: two full vials.",
            now=stock.now,
        )
    assert Discrepancy.objects.get().status == Discrepancy.Status.OPEN
    closed = services.close_discrepancy(
        actor=stock.prescriber,
        discrepancy=discrepancy,
        finding=Finding.COUNTING_ERROR,
        investigation="Recounted with the charge nurse: two full vials.",
        now=stock.now,
    )
    assert (closed.status, closed.adjustment) == (Discrepancy.Status.CLOSED, None)
    assert Entry.objects.filter(account=stock.safe).count() == 1
    with pytest.raises(LedgerError, match="already been closed"):
        services.close_discrepancy(
            actor=stock.prescriber,
            discrepancy=discrepancy,
            finding=Finding.MINOR_LOSS,
            investigation="Trying to close it a second time.",
            now=stock.now,
        )


@pytest.mark.parametrize("finding", [Finding.RECORDING_ERROR, Finding.MINOR_LOSS])
def test_a_recording_error_or_loss_closes_with_a_linked_adjustment(
    stock: Stock, receive: Callable[..., Entry], finding: Finding
) -> None:
    receive(stock, stock.vials, 2)
    take_count(stock, {stock.vials: ("900", 2)})
    closed = services.close_discrepancy(
        actor=stock.prescriber,
        discrepancy=Discrepancy.objects.get(),
        finding=finding,
        investigation="A 100 mg dose on Tuesday was given but never recorded.",
        now=stock.now,
    )
    adjustment = closed.adjustment
    assert adjustment is not None
    assert (adjustment.kind, adjustment.quantity_mg, adjustment.units) == (
        EntryKind.ADJUSTMENT,
        Decimal(-100),
        0,
    )
    assert adjustment.balance_mg == Decimal(900)
    assert "never recorded" in adjustment.reason
    assert not ComplianceTask.objects.exists()
    assert verify_trail(LEDGER_TRAIL).ok


def test_r_cs_7_a_theft_on_a_friday_is_notified_by_monday_end_of_day_and_form_106_in_45_days(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.devices, 3)
    friday = _friday_afternoon(stock)
    # The demo's federal holidays could fall on that Monday: this test is about weekends.
    ClinicClosure.objects.filter(clinic=stock.clinic).delete()
    take_count(stock, {stock.devices: (None, 1)}, now=friday)
    services.close_discrepancy(
        actor=stock.prescriber,
        discrepancy=Discrepancy.objects.get(),
        finding=Finding.THEFT_OR_SIGNIFICANT_LOSS,
        investigation="Two devices missing from the locked safe; police report filed.",
        now=friday + timedelta(hours=2),
    )
    tasks = {t.kind: t for t in ComplianceTask.objects.filter(clinic=stock.clinic)}
    tz = stock.clinic.tzinfo
    notice = tasks[ComplianceTask.Kind.DEA_WRITTEN_NOTICE].due_at.astimezone(tz)
    assert notice.date() == friday.date() + timedelta(days=3)
    assert notice.weekday() == 0
    assert notice.time() == time(23, 59)
    assert tasks[ComplianceTask.Kind.DEA_FORM_106].due_at == friday + timedelta(days=45)
    assert Holding.objects.get(account=stock.safe, lot=stock.devices).balance_units == 1
    task = tasks[ComplianceTask.Kind.DEA_WRITTEN_NOTICE]
    with pytest.raises(LedgerError, match="reference"):
        services.complete_task(
            actor=stock.prescriber, task=task, reference="  ", note="", now=friday
        )
    with pytest.raises(LedgerError, match="does not allow"):
        services.complete_task(actor=stock.nurse, task=task, reference="x", note="", now=friday)
    done = services.complete_task(
        actor=stock.prescriber,
        task=task,
        reference="Letter to the New England Field Division, 2026-03-16",
        note="",
        now=friday,
    )
    assert done.status == ComplianceTask.Status.DONE
    with pytest.raises(LedgerError, match="already done"):
        services.complete_task(
            actor=stock.prescriber, task=task, reference="again", note="", now=friday
        )


def test_r_cs_5_an_initial_inventory_of_an_empty_account_opens_its_balances(
    stock: Stock,
) -> None:
    count = take_count(
        stock,
        {stock.vials: ("1250", 3), stock.lozenges: (None, 20)},
        kind=StockCount.Kind.INITIAL,
    )
    entries = Entry.objects.filter(account=stock.safe).order_by("position")
    assert [(e.kind, e.quantity_mg, e.units, e.reason) for e in entries] == [
        (EntryKind.ADJUSTMENT, Decimal(1250), 3, services.INITIAL_INVENTORY_REASON),
        (EntryKind.ADJUSTMENT, Decimal(2000), 20, services.INITIAL_INVENTORY_REASON),
    ]
    assert count.at_position == 2
    assert not Discrepancy.objects.exists()
    # A second initial inventory, the account no longer empty, is an ordinary count.
    take_count(stock, {stock.vials: ("1250", 3)}, kind=StockCount.Kind.INITIAL)
    assert Entry.objects.filter(account=stock.safe).count() == 2
    assert Discrepancy.objects.count() == 1  # the lozenges not counted


def test_r_cs_5_the_biennial_inventory_task_is_raised_once_30_days_ahead(stock: Stock) -> None:
    two_years_ago = stock.now - timedelta(days=2 * 365 - 20)
    take_count(stock, {}, kind=StockCount.Kind.INITIAL, now=two_years_ago)
    take_count(stock, {}, account=stock.cart, kind=StockCount.Kind.BIENNIAL)
    task = services.raise_inventory_task(actor=SYSTEM, clinic=stock.clinic, now=stock.now)
    assert task is not None
    assert task.kind == ComplianceTask.Kind.BIENNIAL_INVENTORY
    assert "Test safe" in task.note
    assert "cart" not in task.note
    assert services.raise_inventory_task(actor=SYSTEM, clinic=stock.clinic, now=stock.now) is None
    assert services.raise_inventory_tasks(actor=SYSTEM, now=stock.now) == 0
    assert ComplianceTask.objects.count() == 1


def test_policy_inventory_cutoff_agrees_with_the_rule_and_shift_moments() -> None:
    for today in (date(2026, 1, 31), date(2026, 1, 30), date(2028, 1, 30), date(2027, 3, 1)):
        cutoff = inventory_due_cutoff(today)
        assert inventory_is_due(cutoff, today)
        assert not inventory_is_due(cutoff + timedelta(days=1), today)
    tz = ZoneInfo("America/New_York")
    assert shift_moment(datetime(2026, 3, 2, 9, tzinfo=tz), tz) == StockCount.Moment.OPENING
    assert shift_moment(datetime(2026, 3, 2, 12, tzinfo=tz), tz) == StockCount.Moment.CLOSE
    vial = ProductFacts(mg_per_unit=Decimal(500), whole_units=False, unit_name="vial")
    assert line_problems(vial, Quantity(Decimal(-1), 0), estimated=False)
    assert line_problems(vial, Quantity(Decimal(700), 2), estimated=True) == []


def test_r_cs_5_the_daily_command_raises_inventory_tasks_once(stock: Stock) -> None:
    take_count(stock, {}, kind=StockCount.Kind.INITIAL, now=stock.now - timedelta(days=800))
    out = StringIO()
    call_command("raise_inventory_tasks", stdout=out)
    call_command("raise_inventory_tasks", stdout=out)
    assert "Raised 1 inventory task(s)." in out.getvalue()
    assert ComplianceTask.objects.filter(kind=ComplianceTask.Kind.BIENNIAL_INVENTORY).count() == 1


def test_r_cs_7_a_day_the_clinic_is_closed_is_not_a_business_day(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-CS-7: a theft found on a Friday before a closed Monday is notified by Tuesday."""
    receive(stock, stock.devices, 3)
    friday = _friday_afternoon(stock)
    monday = friday.date() + timedelta(days=3)
    ClinicClosure.objects.filter(clinic=stock.clinic).delete()
    ClinicClosure.objects.create(
        clinic=stock.clinic, first_day=monday, last_day=monday, label="Test closure"
    )
    take_count(stock, {stock.devices: (None, 1)}, now=friday)
    services.close_discrepancy(
        actor=stock.prescriber,
        discrepancy=Discrepancy.objects.get(),
        finding=Finding.THEFT_OR_SIGNIFICANT_LOSS,
        investigation="Two devices missing from the locked safe; police report filed.",
        now=friday + timedelta(hours=2),
    )
    notice = ComplianceTask.objects.get(kind=ComplianceTask.Kind.DEA_WRITTEN_NOTICE)
    assert notice.due_at.astimezone(stock.clinic.tzinfo).date() == monday + timedelta(days=1)
