from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from kapclinic.accounts.actor import SYSTEM
from kapclinic.ledger.counts.services import raise_inventory_tasks


class Command(BaseCommand):
    help = (
        "Raise the biennial inventory task (R-CS-5) of every clinic whose last inventory makes "
        "the next one due within 30 days. Idempotent: run it daily (cron or worker)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        raised = raise_inventory_tasks(actor=SYSTEM, now=timezone.now())
        self.stdout.write(f"Raised {raised} inventory task(s).")
