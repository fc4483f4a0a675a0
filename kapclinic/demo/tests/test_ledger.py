"""The demo's controlled-substance stock histories (kapclinic.demo.ledger; issue 14.7):
written through the ledger's services, matching the calendar's attended dosing sessions,
balances never negative, chains that verify."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from kapclinic.audit.verification import verify_trail
from kapclinic.demo.generator import GenerationResult
from kapclinic.demo.ledger import DEMO_SUPPLIER
from kapclinic.ledger.models import (
    Discrepancy,
    Entry,
    EntryKind,
    Holding,
    Lot,
    StockAccount,
    StockCount,
)
from kapclinic.ledger.rules import dea_number_problem
from kapclinic.ledger.trail import LEDGER_TRAIL
from kapclinic.patients.models import BodyMeasurement
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import Modality, SessionKind

DEMO_TODAY = date(2026, 11, 25)  # conftest's
DOSED = (
    Modality.RACEMIC_KETAMINE_OFF_LABEL,
    Modality.ESKETAMINE_REMS,
    Modality.KETAMINE_ASSISTED_PSYCHOTHERAPY,
)


def test_each_attended_dosing_session_has_one_administration_by_its_nurse(
    demo: GenerationResult,
) -> None:
    attended = Appointment.objects.filter(
        kind=SessionKind.DOSING.value,
        status=Appointment.Status.ATTENDED,
        course__modality__in=[m.value for m in DOSED],
    )
    entries = {
        e.source_key: e
        for e in Entry.objects.filter(kind=EntryKind.ADMINISTRATION).select_related("account")
    }
    assert attended.count() == len(entries) == demo.ledger.administrations > 0
    for appointment in attended:
        entry = entries[f"appointment:{appointment.public_id}"]
        assert entry.patient_id == appointment.patient_id
        assert entry.administered_by_id == appointment.nurse_id == entry.recorded_by_id
        assert entry.account.clinic_id == appointment.clinic_id
        assert entry.occurred_at == appointment.starts_at + timedelta(minutes=15)


def test_doses_follow_the_protocols(demo: GenerationResult) -> None:
    """IV ketamine 0.5 mg/kg of the latest weight; esketamine 56 or 84 mg (2 or 3 devices),
    56 mg first; KAP 2 or 3 lozenges of 100 mg."""
    by_modality: dict[str, list[Entry]] = defaultdict(list)
    modality = dict(
        Appointment.objects.filter(kind=SessionKind.DOSING.value).values_list(
            "public_id", "course__modality"
        )
    )
    for entry in Entry.objects.filter(kind=EntryKind.ADMINISTRATION).order_by("occurred_at"):
        by_modality[modality[_appointment_id(entry)]].append(entry)
    for entry in by_modality[Modality.RACEMIC_KETAMINE_OFF_LABEL]:
        assert entry.patient_id is not None
        weight = (
            BodyMeasurement.objects.filter(
                patient_id=entry.patient_id, measured_on__lte=entry.occurred_at.date()
            )
            .order_by("-measured_on", "-id")
            .values_list("weight_kg", flat=True)
            .first()
        )
        expected = (Decimal("0.5") * weight).quantize(Decimal("0.1")) if weight else None
        if expected is not None:
            assert -entry.quantity_mg == expected
        assert entry.units == 0  # the vial is emptied by its waste
    esketamine = by_modality[Modality.ESKETAMINE_REMS]
    assert esketamine
    assert {(-e.quantity_mg, -e.units) for e in esketamine} <= {(56, 2), (84, 3)}
    lozenges = by_modality[Modality.KETAMINE_ASSISTED_PSYCHOTHERAPY]
    assert {(-e.quantity_mg, -e.units) for e in lozenges} <= {(200, 2), (300, 3)}


def _appointment_id(entry: Entry) -> uuid.UUID:
    return uuid.UUID(entry.source_key.removeprefix("appointment:"))


def test_r_cs_3_each_vial_remainder_is_wasted_with_a_witness(demo: GenerationResult) -> None:
    infusions = Entry.objects.filter(
        kind=EntryKind.ADMINISTRATION, lot__product__unit_kind="vial"
    ).order_by("account_id", "position")
    wastes = Entry.objects.filter(kind=EntryKind.WASTE).order_by("account_id", "position")
    assert len(infusions) == len(wastes) == demo.ledger.wastes > 0
    for dose, waste in zip(infusions, wastes, strict=True):
        assert waste.position == dose.position + 1
        assert dose.quantity_mg + waste.quantity_mg == -500
        assert (waste.units, waste.lot_id) == (-1, dose.lot_id)
        assert waste.witness_id is not None
        assert waste.witness_id != waste.recorded_by_id
        assert waste.reason


def test_balances_never_go_negative_and_match_the_entries(demo: GenerationResult) -> None:
    assert not Entry.objects.filter(balance_mg__lt=0).exists()
    assert not Entry.objects.filter(balance_units__lt=0).exists()
    sums = {  # SQLite sums decimals as floats: compare to the thousandth
        (row["account_id"], row["lot_id"]): (row["mg"].quantize(Decimal("0.001")), row["units"])
        for row in Entry.objects.values("account_id", "lot_id").annotate(
            mg=Sum("quantity_mg"), units=Sum("units")
        )
    }
    holdings = {
        (h.account_id, h.lot_id): (h.balance_mg, h.balance_units) for h in Holding.objects.all()
    }
    assert sums == holdings
    assert all(mg >= 0 and units >= 0 for mg, units in holdings.values())


def test_every_chain_verifies(demo: GenerationResult) -> None:
    result = verify_trail(LEDGER_TRAIL)
    assert result.problems == []
    assert result.checked == Entry.objects.count()
    assert all(chain.problem is None for chain in result.chains.values())


def test_r_cs_1_receipts_come_from_a_supplier_with_a_valid_dea_number(
    demo: GenerationResult,
) -> None:
    assert dea_number_problem(DEMO_SUPPLIER["supplier_dea"]) is None
    receipts = Entry.objects.filter(kind=EntryKind.RECEIPT)
    assert receipts.count() == demo.ledger.receipts > 0
    assert set(receipts.values_list("supplier_dea", flat=True)) == {DEMO_SUPPLIER["supplier_dea"]}
    assert receipts.filter(invoice_number="").count() == 0


def test_each_clinic_has_a_safe_a_cart_one_transfer_and_a_short_dated_lot(
    demo: GenerationResult,
) -> None:
    for account in StockAccount.objects.filter(name="Infusion cart"):
        entries = list(Entry.objects.filter(account=account))
        assert [(e.kind, e.units) for e in entries] == [(EntryKind.TRANSFER_IN, 2)]
        safe = StockAccount.objects.get(clinic_id=account.clinic_id, name="Main safe")
        out = Entry.objects.get(account=safe, kind=EntryKind.TRANSFER_OUT)
        assert out.transfer_group == entries[0].transfer_group
    assert demo.ledger.transfers == StockAccount.objects.filter(name="Infusion cart").count()
    soon = Lot.objects.filter(
        expires_on__lte=DEMO_TODAY + timedelta(days=60),
        holdings__balance_units__gt=0,
    )
    assert soon.exists()
    assert not Lot.objects.filter(expires_on__lt=DEMO_TODAY, holdings__balance_units__gt=0)


def test_r_cs_5_the_safe_is_counted_by_two_people_and_the_counts_match(
    demo: GenerationResult,
) -> None:
    counts = StockCount.objects.filter(account__name="Main safe")
    assert (
        counts.count()
        == demo.ledger.counts
        == 10 * StockAccount.objects.filter(name="Main safe").count()
    )
    for count in counts:
        assert count.status == StockCount.Status.SUBMITTED
        assert count.second_counter_id not in {None, count.counted_by_id}
        assert count.lines.exists()
    assert not Discrepancy.objects.exists()
