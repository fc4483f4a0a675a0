"""The one writer of the ledger (issue 14.2): balances, refusals that write nothing, the
dosing workflow's retry-safe call, transfers, reversals (R-CS-1..4)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from kapclinic.accounts.models import Role
from kapclinic.audit.verification import verify_trail
from kapclinic.ledger import services
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import DispensingUse, Entry, EntryKind, Holding
from kapclinic.ledger.services import WitnessSignature
from kapclinic.ledger.tests.conftest import Stock, staff
from kapclinic.ledger.trail import LEDGER_TRAIL
from kapclinic.patients.models import Patient


def _patient(stock: Stock) -> Patient:
    return Patient.objects.filter(clinic=stock.clinic).order_by("id")[0]


def test_a_receipt_adds_its_containers_and_stores_the_balance_after_it(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    entry = receive(stock, stock.vials, 4)
    assert (entry.kind, entry.quantity_mg, entry.units) == (EntryKind.RECEIPT, Decimal(2000), 4)
    assert (entry.balance_mg, entry.balance_units, entry.position) == (Decimal(2000), 4, 1)
    holding = Holding.objects.get(account=stock.safe, lot=stock.vials)
    assert (holding.balance_mg, holding.balance_units) == (Decimal(2000), 4)


def test_r_cs_1_a_receipt_without_its_supplier_or_with_a_bad_dea_number_is_refused(
    stock: Stock,
) -> None:
    with pytest.raises(LedgerError) as refused:
        services.receive(
            actor=stock.nurse,
            account=stock.safe,
            lot=stock.vials,
            containers=2,
            supplier_name="",
            supplier_address="",
            supplier_dea="RE1234567",
            invoice_number="",
            occurred_at=stock.now,
            now=stock.now,
        )
    text = " ".join(refused.value.problems)
    assert "supplier's name" in text
    assert "check digit" in text
    assert "invoice" in text
    assert not Entry.objects.filter(account=stock.safe).exists()


def test_an_administration_debits_exact_milligrams_and_is_retry_safe(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-CS-2: the patient, the quantity and who administered it, recorded once."""
    receive(stock, stock.vials, 1)
    patient = _patient(stock)
    call: dict[str, Any] = {
        "actor": stock.nurse,
        "account": stock.safe,
        "lot": stock.vials,
        "patient": patient,
        "mg": "35.5",
        "administered_by": stock.nurse.user,
        "occurred_at": stock.now,
        "source_key": "dosing-session:test-1",
        "now": stock.now,
    }
    first = services.record_administration(**call)
    again = services.record_administration(**call)
    assert first.pk == again.pk
    assert first.balance_mg == Decimal("464.500")
    assert Entry.objects.filter(account=stock.safe).count() == 2
    with pytest.raises(LedgerError, match="different quantity"):
        services.record_administration(**{**call, "mg": "40"})


def test_a_debit_beyond_the_balance_is_refused_and_writes_nothing(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.devices, 2)
    before = Entry.objects.count()
    with pytest.raises(LedgerError, match="below zero"):
        services.record_administration(
            actor=stock.nurse,
            account=stock.safe,
            lot=stock.devices,
            patient=_patient(stock),
            mg="84",
            administered_by=stock.nurse.user,
            occurred_at=stock.now,
            source_key="dosing-session:test-2",
            now=stock.now,
        )
    assert Entry.objects.count() == before
    assert Holding.objects.get(account=stock.safe, lot=stock.devices).balance_units == 2


def test_whole_unit_products_move_in_whole_units(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.devices, 3)
    with pytest.raises(LedgerError, match="whole device"):
        services.record_administration(
            actor=stock.nurse,
            account=stock.safe,
            lot=stock.devices,
            patient=_patient(stock),
            mg="30",
            administered_by=stock.nurse.user,
            occurred_at=stock.now,
            source_key="dosing-session:test-3",
            now=stock.now,
        )


def test_more_than_three_decimal_places_is_refused_not_rounded(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 1)
    with pytest.raises(LedgerError, match="three decimal places"):
        services.adjust(
            actor=stock.prescriber,
            account=stock.safe,
            lot=stock.vials,
            mg="-0.0001",
            units=0,
            reason="Recount after spill",
            occurred_at=stock.now,
            now=stock.now,
        )


def test_a_transfer_is_two_entries_in_one_transaction(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 3)
    sent, received = services.transfer(
        actor=stock.nurse,
        source=stock.safe,
        destination=stock.cart,
        lot=stock.vials,
        mg="1000",
        units=2,
        occurred_at=stock.now,
        now=stock.now,
    )
    assert sent.transfer_group == received.transfer_group
    assert (sent.balance_mg, received.balance_mg) == (Decimal(500), Decimal(1000))
    with pytest.raises(LedgerError):
        services.transfer(
            actor=stock.nurse,
            source=stock.safe,
            destination=stock.cart,
            lot=stock.vials,
            mg="1000",
            units=2,
            occurred_at=stock.now,
            now=stock.now,
        )
    assert Entry.objects.filter(account=stock.cart).count() == 1


def test_a_reversal_moves_the_opposite_once_and_leaves_the_entry_as_it_was(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    entry = receive(stock, stock.vials, 2)
    reversal = services.reverse(
        actor=stock.prescriber, entry=entry, reason="Wrong lot number keyed", now=stock.now
    )
    assert (reversal.quantity_mg, reversal.units, reversal.balance_mg) == (
        Decimal(-1000),
        -2,
        Decimal(0),
    )
    with pytest.raises(LedgerError, match="already been reversed"):
        services.reverse(
            actor=stock.prescriber, entry=entry, reason="Again, by mistake", now=stock.now
        )
    with pytest.raises(LedgerError, match="cannot itself be reversed"):
        services.reverse(
            actor=stock.prescriber, entry=reversal, reason="Undo the undo", now=stock.now
        )


def test_the_chain_of_every_account_verifies(stock: Stock, receive: Callable[..., Entry]) -> None:
    receive(stock, stock.vials, 2)
    receive(stock, stock.lozenges, 10)
    services.transfer(
        actor=stock.nurse,
        source=stock.safe,
        destination=stock.cart,
        lot=stock.lozenges,
        mg="300",
        units=3,
        occurred_at=stock.now,
        now=stock.now,
    )
    result = verify_trail(LEDGER_TRAIL)
    assert result.ok, result.problems
    mine = {stock.safe.chain_key, stock.cart.chain_key}  # the demo's own ledger verifies too
    assert sum(c.checked for key, c in result.chains.items() if key in mine) == 4


@pytest.mark.parametrize(
    "statement", ["UPDATE ledger_entry SET units = 99", "DELETE FROM ledger_entry"]
)
def test_the_database_refuses_to_change_or_delete_an_entry(
    stock: Stock, receive: Callable[..., Entry], statement: str
) -> None:
    receive(stock, stock.vials, 1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert Entry.objects.get(account=stock.safe).units == 1


def test_the_model_refuses_to_change_or_delete_an_entry(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    entry = receive(stock, stock.vials, 1)
    with pytest.raises(Exception, match="append-only"):
        entry.save()
    with pytest.raises(Exception, match="append-only"):
        Entry.objects.filter(pk=entry.pk).delete()


def test_r_lt_3_an_at_home_dispensing_is_reconciled_once_and_must_add_up(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-LT-3: at-home lozenges reconciled: returned, taken and lost add up."""
    receive(stock, stock.lozenges, 10)
    dispensed = services.dispense(
        actor=stock.nurse,
        account=stock.safe,
        lot=stock.lozenges,
        patient=_patient(stock),
        units=4,
        use=DispensingUse.AT_HOME,
        occurred_at=stock.now,
        now=stock.now,
    )
    assert (dispensed.balance_mg, dispensed.balance_units) == (Decimal(600), 6)
    call: dict[str, Any] = {
        "actor": stock.nurse,
        "dispensing": dispensed,
        "occurred_at": stock.now,
        "now": stock.now,
    }
    with pytest.raises(LedgerError, match="add up to the 4 units"):
        services.record_return(**call, units_returned=1, units_taken=1, units_lost=1)
    returned = services.record_return(**call, units_returned=1, units_taken=2, units_lost=1)
    assert (returned.kind, returned.units, returned.balance_units) == (EntryKind.RETURN, 1, 7)
    assert returned.units_reported_lost == 1
    with pytest.raises(LedgerError, match="already been reconciled"):
        services.record_return(**call, units_returned=0, units_taken=4, units_lost=0)


def _witness(stock: Stock, role: Role, password: str) -> WitnessSignature:
    other = staff(stock.clinic, role)
    return services.sign_as_witness(
        actor=stock.nurse,
        email=other.email,
        password=password,
        ip_address="127.0.0.1",
        now=stock.now,
    )


def test_r_cs_3_a_waste_is_witnessed_by_another_person_signing_with_their_own_password(
    stock: Stock, receive: Callable[..., Entry], demo_password: str
) -> None:
    """R-CS-3: quantity, reason, and a witness who is someone else."""
    receive(stock, stock.vials, 1)
    services.record_administration(
        actor=stock.nurse,
        account=stock.safe,
        lot=stock.vials,
        patient=_patient(stock),
        mg="35",
        administered_by=stock.nurse.user,
        occurred_at=stock.now,
        source_key="dosing-session:test-waste",
        now=stock.now,
    )
    call: dict[str, Any] = {
        "actor": stock.nurse,
        "account": stock.safe,
        "lot": stock.vials,
        "mg": "465",
        "containers_emptied": 1,
        "reason": "Remainder of the vial after a 35 mg dose",
        "occurred_at": stock.now,
        "now": stock.now,
    }
    with pytest.raises(LedgerError, match="witnessed"):
        services.waste(**call, witness=None)
    with pytest.raises(LedgerError, match="own entry"):
        services.sign_as_witness(
            actor=stock.nurse,
            email=stock.nurse.user.email,
            password=demo_password,
            ip_address="127.0.0.1",
            now=stock.now,
        )
    with pytest.raises(LedgerError, match="not right"):
        services.sign_as_witness(
            actor=stock.nurse,
            email=staff(stock.clinic, Role.PRESCRIBER).email,
            password="not-the-password",
            ip_address="127.0.0.1",
            now=stock.now,
        )
    entry = services.waste(**call, witness=_witness(stock, Role.PRESCRIBER, demo_password))
    assert (entry.balance_mg, entry.balance_units) == (Decimal(0), 0)
    assert entry.witness == staff(stock.clinic, Role.PRESCRIBER)


def test_r_cs_4_a_destruction_needs_two_different_witnesses(
    stock: Stock, receive: Callable[..., Entry], demo_password: str
) -> None:
    """R-CS-4: DEA Form 41, two witnesses, the method and the reason."""
    receive(stock, stock.devices, 2)
    first = _witness(stock, Role.PRESCRIBER, demo_password)
    call: dict[str, Any] = {
        "actor": stock.nurse,
        "account": stock.safe,
        "lot": stock.devices,
        "mg": "28",
        "units": 1,
        "reason": "Device damaged in transit",
        "method": "Reverse distributor pickup",
        "occurred_at": stock.now,
        "now": stock.now,
    }
    with pytest.raises(LedgerError, match="two witnesses"):
        services.destroy(**call, witnesses=(first,))
    with pytest.raises(LedgerError, match="two different people"):
        services.destroy(**call, witnesses=(first, first))
    assert Entry.objects.filter(account=stock.safe).count() == 1
