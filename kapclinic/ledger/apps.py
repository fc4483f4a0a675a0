from __future__ import annotations

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "kapclinic.ledger"
    label = "ledger"
    verbose_name = "Controlled-substance ledger"

    def ready(self) -> None:
        from kapclinic.audit.checkpoints import register_trail
        from kapclinic.ledger.trail import LEDGER_TRAIL

        # manage.py audit_checkpoint signs every account's chain head too (issue 14.3).
        register_trail(LEDGER_TRAIL)
