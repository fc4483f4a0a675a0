"""The ledger's set-up services refuse bad input with a message and write nothing; witnesses
sign only through ``sign_as_witness`` (R-CS-3, R-CS-4)."""

from __future__ import annotations

from datetime import date

import pytest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.ledger import services
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import DosageForm, Lot, Product, StockAccount, Substance, UnitKind
from kapclinic.ledger.services import WitnessSignature
from kapclinic.ledger.services.witnesses import distinct_witnesses
from kapclinic.ledger.tests.conftest import Stock, staff

LOZENGE = {
    "substance": Substance.KETAMINE,
    "form": DosageForm.LOZENGE,
    "unit_kind": UnitKind.LOZENGE,
}


@pytest.mark.parametrize(
    ("name", "mg_per_unit", "concentration", "message"),
    [
        ("Ketamine 100 mg lozenge", "ten", None, "is not a number of milligrams"),
        ("Ketamine 100 mg lozenge", "100", "1e309", "more than the ledger can hold"),
        ("Ketamine 100 mg lozenge", "0", None, "more than 0 mg"),
        ("   ", "100", None, "Name the product"),
    ],
)
def test_a_product_with_a_bad_field_is_refused_and_not_added(
    stock: Stock, name: str, mg_per_unit: str, concentration: str | None, message: str
) -> None:
    before = Product.objects.count()
    with pytest.raises(LedgerError, match=message):
        services.add_product(
            actor=stock.prescriber,
            name=name,
            mg_per_unit=mg_per_unit,
            concentration_mg_per_ml=concentration,
            **LOZENGE,  # type: ignore[arg-type]
        )
    assert Product.objects.count() == before


def test_a_lot_needs_its_number_and_a_product_of_the_clinic(stock: Stock) -> None:
    other = Clinic.objects.exclude(pk=stock.clinic.pk).order_by("id").first()
    assert other is not None, "the demo has more than one clinic"
    outsider = Actor.for_user(staff(other, Role.PRESCRIBER), other)
    product = stock.lozenges.product
    before = Lot.objects.count()
    with pytest.raises(LedgerError, match="not in your clinic"):
        services.add_lot(actor=outsider, product=product, number="L-9", expires_on=date(2028, 1, 1))
    with pytest.raises(LedgerError, match="lot number"):
        services.add_lot(
            actor=stock.prescriber, product=product, number=" ", expires_on=date(2028, 1, 1)
        )
    assert Lot.objects.count() == before


def test_a_storage_account_needs_a_name(stock: Stock) -> None:
    before = StockAccount.objects.count()
    with pytest.raises(LedgerError, match="Name the storage account"):
        services.open_account(actor=stock.prescriber, name="  ", location="Room 2")
    assert StockAccount.objects.count() == before


def test_a_witness_signature_cannot_be_made_by_hand(stock: Stock) -> None:
    """R-CS-3: only sign_as_witness, after the witness's password, makes a signature."""
    with pytest.raises(TypeError, match="sign_as_witness only"):
        WitnessSignature(user=stock.prescriber.user, signed_at=stock.now)


def test_a_witness_locked_out_by_wrong_passwords_cannot_sign(
    stock: Stock, demo_password: str
) -> None:
    """R-CS-3: the witness's sign-in is throttled like the login; once locked, even the right
    password does not sign, and the message says another witness must."""
    witness = staff(stock.clinic, Role.PRESCRIBER)
    messages = []
    for _ in range(30):
        with pytest.raises(LedgerError) as refused:
            services.sign_as_witness(
                actor=stock.nurse,
                email=witness.email,
                password="wrong-password",
                ip_address="127.0.0.9",
                now=stock.now,
            )
        messages.append(str(refused.value))
        if "locked" in messages[-1]:
            break
    assert "locked" in messages[-1], messages[-1]
    with pytest.raises(LedgerError, match="another witness must sign"):
        services.sign_as_witness(
            actor=stock.nurse,
            email=witness.email,
            password=demo_password,
            ip_address="127.0.0.9",
            now=stock.now,
        )


def test_a_recorder_is_never_among_the_witnesses_of_their_own_entry(
    stock: Stock, demo_password: str
) -> None:
    """R-CS-4: two different people, neither of them the recorder."""
    signed = services.sign_as_witness(
        actor=stock.prescriber,
        email=stock.nurse.user.email,
        password=demo_password,
        ip_address="127.0.0.1",
        now=stock.now,
    )
    assert distinct_witnesses(actor=stock.prescriber, witnesses=(signed,)) == []
    assert distinct_witnesses(actor=stock.nurse, witnesses=(signed,)) == [
        "You cannot witness your own entry: another staff member signs."
    ]
