"""The ledger's shared reads (each sub-package has its own selectors for its pages)."""

from __future__ import annotations

from kapclinic.ledger.models import ChainCheck, StockAccount


def latest_check(account: StockAccount) -> ChainCheck | None:
    """The newest verification of ``account``'s chain, for its badge (None: never checked)."""
    return ChainCheck.objects.filter(account=account).order_by("-checked_at").first()
