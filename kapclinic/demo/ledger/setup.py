"""A demo clinic's stock set-up: its products, storage accounts and supplier, through the
ledger's services (kapclinic.demo.ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from kapclinic.accounts.actor import Actor
from kapclinic.ledger import services
from kapclinic.ledger.models import DosageForm, Product, StockAccount, Substance, UnitKind

# A distributor (registrant type P) with a DEA number whose check digit is right:
# (4 + 6 + 8) + 2 x (5 + 7 + 9) = 60, last digit 0 (21 CFR 1301; rules.dea_number_problem).
DEMO_SUPPLIER: Final = {
    "supplier_name": "Cascade Pharmaceutical Distribution",
    "supplier_address": "2200 Commerce Pkwy, Reno, NV 89502",
    "supplier_dea": "PC4567890",
}

KETAMINE_VIAL: Final[dict[str, Any]] = {
    "name": "Ketamine HCl injection 50 mg/mL, 10 mL multi-dose vial",
    "substance": Substance.KETAMINE,
    "form": DosageForm.INJECTION,
    "unit_kind": UnitKind.VIAL,
    "mg_per_unit": "500",
    "concentration_mg_per_ml": "50",
    "ml_per_unit": "10",
}
ESKETAMINE_DEVICE: Final[dict[str, Any]] = {
    "name": "Esketamine 28 mg nasal spray device",
    "substance": Substance.ESKETAMINE,
    "form": DosageForm.NASAL_SPRAY,
    "unit_kind": UnitKind.DEVICE,
    "mg_per_unit": "28",
}
KETAMINE_LOZENGE: Final[dict[str, Any]] = {
    "name": "Ketamine 100 mg sublingual lozenge (compounded)",
    "substance": Substance.KETAMINE,
    "form": DosageForm.LOZENGE,
    "unit_kind": UnitKind.LOZENGE,
    "mg_per_unit": "100",
}


@dataclass
class ClinicStock:
    """What a clinic's history is written against."""

    safe: StockAccount
    cart: StockAccount
    vial: Product
    device: Product
    lozenge: Product


def set_up_stock(manager: Actor) -> ClinicStock:
    """The clinic's products and accounts, set up by ``manager`` (a prescriber: MANAGE_STOCK)."""
    return ClinicStock(
        safe=services.open_account(
            actor=manager, name="Main safe", location="Medication room, double-locked safe"
        ),
        cart=services.open_account(
            actor=manager, name="Infusion cart", location="Treatment room 1, locked drawer"
        ),
        vial=services.add_product(actor=manager, **KETAMINE_VIAL),
        device=services.add_product(actor=manager, **ESKETAMINE_DEVICE),
        lozenge=services.add_product(actor=manager, **KETAMINE_LOZENGE),
    )
