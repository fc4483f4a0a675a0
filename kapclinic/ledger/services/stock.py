"""Setting up what the ledger counts: products, lots and storage accounts (issue 14.1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from kapclinic.accounts.actor import Actor
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import DosageForm, Lot, Product, StockAccount, Substance, UnitKind
from kapclinic.ledger.quantities import QuantityError, parse_mg


def _record(actor: Actor, action: LedgerAuditAction, target: object) -> None:
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=action,
        actor_roles=actor.roles,
        clinic_id=actor.current_clinic.public_id,
        target=audit.target_of(target),
    )


def add_product(
    *,
    actor: Actor,
    name: str,
    substance: Substance,
    form: DosageForm,
    unit_kind: UnitKind,
    mg_per_unit: Decimal | str,
    concentration_mg_per_ml: Decimal | str | None = None,
    ml_per_unit: Decimal | str | None = None,
    ndc: str = "",
    rxnorm: str = "",
    rxnorm_verified: bool = False,
) -> Product:
    try:
        per_unit = parse_mg(mg_per_unit)
        concentration = parse_mg(concentration_mg_per_ml) if concentration_mg_per_ml else None
        volume = parse_mg(ml_per_unit) if ml_per_unit else None
    except QuantityError as error:
        raise LedgerError([str(error)]) from error
    if per_unit <= 0:
        raise LedgerError(["A unit holds more than 0 mg."])
    if not name.strip():
        raise LedgerError(["Name the product as it reads on the label."])
    try:
        with transaction.atomic():
            product = Product.objects.create(
                clinic=actor.current_clinic,
                name=name.strip(),
                substance=substance,
                form=form,
                unit_kind=unit_kind,
                mg_per_unit=per_unit,
                concentration_mg_per_ml=concentration,
                ml_per_unit=volume,
                ndc=ndc.strip(),
                rxnorm=rxnorm.strip(),
                rxnorm_verified=rxnorm_verified and bool(rxnorm.strip()),
            )
            _record(actor, LedgerAuditAction.PRODUCT_ADDED, product)
    except IntegrityError as error:
        msg = f"The clinic already has a product named {name.strip()!r}."
        raise LedgerError([msg]) from error
    return product


def add_lot(*, actor: Actor, product: Product, number: str, expires_on: date) -> Lot:
    if product.clinic_id != actor.current_clinic.pk:
        raise LedgerError(["That product is not in your clinic."])
    if not number.strip():
        raise LedgerError(["Give the lot number printed on the container."])
    try:
        with transaction.atomic():
            lot = Lot.objects.create(product=product, number=number.strip(), expires_on=expires_on)
            _record(actor, LedgerAuditAction.LOT_RECORDED, lot)
    except IntegrityError as error:
        msg = f"Lot {number.strip()} of this product is already recorded."
        raise LedgerError([msg]) from error
    return lot


def open_account(*, actor: Actor, name: str, location: str = "") -> StockAccount:
    if not name.strip():
        raise LedgerError(["Name the storage account (e.g. 'Main safe')."])
    try:
        with transaction.atomic():
            account = StockAccount.objects.create(
                clinic=actor.current_clinic, name=name.strip(), location=location.strip()
            )
            _record(actor, LedgerAuditAction.ACCOUNT_OPENED, account)
    except IntegrityError as error:
        msg = f"The clinic already has an account named {name.strip()!r}."
        raise LedgerError([msg]) from error
    return account
