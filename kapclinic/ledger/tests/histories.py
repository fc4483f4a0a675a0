"""Stock histories for the integrity tests, written through the ledger's own services."""

from __future__ import annotations

from kapclinic.ledger import services
from kapclinic.ledger.models import DispensingUse, Entry
from kapclinic.ledger.services import WitnessSignature
from kapclinic.ledger.tests.conftest import VIAL_SUPPLIER, Stock
from kapclinic.patients.models import Patient


def patients(stock: Stock) -> list[Patient]:
    return list(Patient.objects.filter(clinic=stock.clinic).order_by("id")[:3])


def witness_for_nurse(stock: Stock, password: str) -> WitnessSignature:
    """The prescriber signs as the nurse's witness, with their own credentials (the demo's
    password: the ``demo_password`` fixture)."""
    return services.sign_as_witness(
        actor=stock.nurse,
        email=stock.prescriber.user.email,
        password=password,
        ip_address=None,
        now=stock.now,
    )


def safe_history(stock: Stock, password: str) -> list[Entry]:
    """Six entries in the safe, over two lots:

    #1 receipt of 4 vials (2000 mg)          vials 2000 mg / 4
    #2 administration of 100 mg (patient A)  vials 1900 mg / 4
    #3 receipt of 10 lozenges (1000 mg)      lozenges 1000 mg / 10
    #4 administration of 50 mg (patient B)   vials 1850 mg / 4
    #5 waste of 20 mg, witnessed             vials 1830 mg / 4
    #6 dispensing of 2 lozenges (patient A)  lozenges 800 mg / 8
    """
    first, second = patients(stock)[:2]
    nurse, safe, now = stock.nurse, stock.safe, stock.now

    def receipt(lot_name: str, containers: int) -> Entry:
        return services.receive(
            actor=nurse,
            account=safe,
            lot=getattr(stock, lot_name),
            containers=containers,
            occurred_at=now,
            now=now,
            **VIAL_SUPPLIER,
        )

    def administration(patient: Patient, mg: str, key: str) -> Entry:
        return services.record_administration(
            actor=nurse,
            account=safe,
            lot=stock.vials,
            patient=patient,
            mg=mg,
            administered_by=nurse.user,
            occurred_at=now,
            source_key=f"dosing-session:{key}",
            now=now,
        )

    return [
        receipt("vials", 4),
        administration(first, "100", "a"),
        receipt("lozenges", 10),
        administration(second, "50", "b"),
        services.waste(
            actor=nurse,
            account=safe,
            lot=stock.vials,
            mg="20",
            reason="Drawn up, not given: the dose was reduced",
            witness=witness_for_nurse(stock, password),
            occurred_at=now,
            now=now,
        ),
        services.dispense(
            actor=nurse,
            account=safe,
            lot=stock.lozenges,
            patient=first,
            units=2,
            use=DispensingUse.SUPERVISED,
            occurred_at=now,
            now=now,
        ),
    ]
