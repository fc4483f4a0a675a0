"""Stock histories of the synthetic clinics' controlled substances (issue 14.7).

After the courses are on the calendar (``kapclinic.demo.courses``), each clinic gets its
ledger, written ONLY through ``kapclinic.ledger.services`` (the one writer: rules, balances,
seals, audit), as its staff would have written it:

* three products (ketamine 50 mg/mL 10 mL vials of 500 mg, esketamine 28 mg nasal spray
  devices, ketamine 100 mg lozenges), a main safe and an infusion cart;
* a receipt of each product every three weeks from a distributor with a valid DEA number
  (R-CS-1), each a new lot, enough for the coming weeks' dosing; the newest vial lot is
  short-dated (it expires within weeks, for the expiry report);
* an administration for each attended dosing appointment (R-CS-2), through
  ``record_administration`` with ``source_key`` "appointment:<public id>", by the
  appointment's nurse: IV ketamine 0.5 mg/kg of the patient's latest weight (35 mg without
  one) from a new vial, whose remainder is then wasted with a witness (R-CS-3); esketamine
  56 mg (2 devices) at the first dose, then 56 or 84 mg (3 devices); KAP 2 or 3 lozenges;
* one transfer of two vials from the safe to the cart;
* a two-person close-of-business count of the main safe on each of the last ten weekdays,
  through the counts' services (R-CS-5; no discrepancy: the counts match).

Deterministic for a seed: the same quantities, lots, dates and people. The entries' public
ids, like those of every service write, are drawn by the services. Each clinic's history is
written in transactions of ``BATCH`` entries (the audit trail's head row, as in
``kapclinic.demo.plans``).
"""

from __future__ import annotations

from kapclinic.demo.ledger.history import BATCH, LedgerCounts, add_stock_histories
from kapclinic.demo.ledger.setup import (
    DEMO_SUPPLIER,
    ESKETAMINE_DEVICE,
    KETAMINE_LOZENGE,
    KETAMINE_VIAL,
)

__all__ = [
    "BATCH",
    "DEMO_SUPPLIER",
    "ESKETAMINE_DEVICE",
    "KETAMINE_LOZENGE",
    "KETAMINE_VIAL",
    "LedgerCounts",
    "add_stock_histories",
]
