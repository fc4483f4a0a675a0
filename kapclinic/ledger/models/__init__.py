"""The ledger's models, split by concern; every model is importable from here."""

from kapclinic.ledger.models.counts import ComplianceTask, CountLine, Discrepancy, StockCount
from kapclinic.ledger.models.entries import (
    AppendOnlyLedgerError,
    ChainCheck,
    DispensingUse,
    Entry,
    EntryKind,
    LedgerChainHead,
)
from kapclinic.ledger.models.stock import (
    DosageForm,
    Holding,
    LedgerSettings,
    Lot,
    Product,
    StockAccount,
    Substance,
    UnitKind,
)

__all__ = [
    "AppendOnlyLedgerError",
    "ChainCheck",
    "ComplianceTask",
    "CountLine",
    "Discrepancy",
    "DispensingUse",
    "DosageForm",
    "Entry",
    "EntryKind",
    "Holding",
    "LedgerChainHead",
    "LedgerSettings",
    "Lot",
    "Product",
    "StockAccount",
    "StockCount",
    "Substance",
    "UnitKind",
]
