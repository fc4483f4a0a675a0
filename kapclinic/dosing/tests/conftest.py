"""Dosing tests use the ledger's stock fixtures (a clinic's accounts and lots, set up through
the ledger's services)."""

from kapclinic.ledger.tests.conftest import receive, stock

__all__ = ["receive", "stock"]
