"""Dosing tests use the ledger's stock fixtures (a clinic's accounts and lots, set up through
the ledger's services) and, for the pages, a booked infusion (``tests.pages.booked``)."""

from kapclinic.dosing.tests.pages import booked
from kapclinic.ledger.tests.conftest import receive, stock

__all__ = ["booked", "receive", "stock"]
