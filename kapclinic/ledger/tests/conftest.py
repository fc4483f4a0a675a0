"""Fixtures of the ledger's tests: a clinic's stock set up through the ledger's own services
(the generator's ledger stage uses the same calls)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.ledger import services
from kapclinic.ledger.models import DosageForm, Lot, StockAccount, Substance, UnitKind

VIAL_SUPPLIER = {
    "supplier_name": "Example Pharma Distribution",
    "supplier_address": "1 Supply Way, Columbus, OH 43004",
    "supplier_dea": "RE1234563",
    "invoice_number": "INV-1001",
}


@dataclass
class Stock:
    clinic: Clinic
    nurse: Actor
    prescriber: Actor
    safe: StockAccount
    cart: StockAccount
    vials: Lot  # ketamine 500 mg / 10 mL vials
    devices: Lot  # esketamine 28 mg devices
    lozenges: Lot  # ketamine 100 mg lozenges
    now: datetime


def staff(clinic: Clinic, role: Role) -> User:
    return User.objects.filter(memberships__clinic=clinic, memberships__role=role).order_by("id")[0]


@pytest.fixture
def stock(demo: object) -> Stock:
    clinic = Clinic.objects.order_by("id").first()
    assert clinic is not None
    prescriber = Actor.for_user(staff(clinic, Role.PRESCRIBER), clinic)
    nurse = Actor.for_user(staff(clinic, Role.NURSE), clinic)
    now = timezone.now()
    safe = services.open_account(actor=prescriber, name="Test safe", location="Room 2")
    cart = services.open_account(actor=prescriber, name="Test infusion cart")
    vial = services.add_product(
        actor=prescriber,
        name="Test ketamine HCl 50 mg/mL, 10 mL vial",
        substance=Substance.KETAMINE,
        form=DosageForm.INJECTION,
        unit_kind=UnitKind.VIAL,
        mg_per_unit="500",
        concentration_mg_per_ml="50",
        ml_per_unit="10",
    )
    device = services.add_product(
        actor=prescriber,
        name="Test esketamine 28 mg nasal spray device",
        substance=Substance.ESKETAMINE,
        form=DosageForm.NASAL_SPRAY,
        unit_kind=UnitKind.DEVICE,
        mg_per_unit="28",
    )
    lozenge = services.add_product(
        actor=prescriber,
        name="Test ketamine 100 mg lozenge",
        substance=Substance.KETAMINE,
        form=DosageForm.LOZENGE,
        unit_kind=UnitKind.LOZENGE,
        mg_per_unit="100",
    )
    expiry = date(now.year + 2, 1, 31)
    return Stock(
        clinic=clinic,
        nurse=nurse,
        prescriber=prescriber,
        safe=safe,
        cart=cart,
        vials=services.add_lot(actor=prescriber, product=vial, number="V-1", expires_on=expiry),
        devices=services.add_lot(actor=prescriber, product=device, number="D-1", expires_on=expiry),
        lozenges=services.add_lot(
            actor=prescriber, product=lozenge, number="L-1", expires_on=expiry
        ),
        now=now,
    )


@pytest.fixture
def receive() -> Callable[..., object]:
    def run(stock: Stock, lot: Lot, containers: int, account: StockAccount | None = None) -> object:
        return services.receive(
            actor=stock.nurse,
            account=account or stock.safe,
            lot=lot,
            containers=containers,
            occurred_at=stock.now,
            now=stock.now,
            **VIAL_SUPPLIER,
        )

    return run
