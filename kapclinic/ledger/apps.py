from __future__ import annotations

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "kapclinic.ledger"
    label = "ledger"
    verbose_name = "Controlled-substance ledger"
