from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kapclinic.accounts.actor import SYSTEM
from kapclinic.audit.checkpoints import FileSink, configured_sink
from kapclinic.ledger.integrity.services import describe, verify_ledger
from kapclinic.ledger.integrity.tasks import verify_ledger_nightly


class Command(BaseCommand):
    help = (
        "Verify the controlled-substance ledger: every storage account's hash chain (each "
        "entry's keyed seal and link, its head, and the signed checkpoints audit_checkpoint "
        "publishes) and its arithmetic (each balance is the one before plus the quantity, never "
        "negative; each running balance matches its lot's newest entry). Records one check per "
        "account (the ledger page's badge). Exits 1 naming the first bad entry of each broken "
        "account. With --enqueue, queue the verify_ledger_nightly task for the worker instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            metavar="PATH",
            help="a checkpoint file (JSON lines) to check against; default: the configured sink",
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the task instead of verifying here."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = verify_ledger_nightly.enqueue()
            self.stdout.write(f"Queued the ledger verification ({result.id}).")
            return
        path = options["checkpoints"]
        sink = FileSink(path) if path else configured_sink()
        verification = verify_ledger(actor=SYSTEM, now=timezone.now(), checkpoints=sink)
        for line in verification.chains.summary()[-1:]:
            self.stdout.write(line)  # which checkpoints were read, or that none were
        for verdict in verification.accounts:
            self.stdout.write(verdict.line())
        if verification.ok:
            entries = sum(verdict.entries_checked for verdict in verification.accounts)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Ledger verified: {entries} entries in {len(verification.accounts)} "
                    "accounts, every chain intact and every balance adds up."
                )
            )
            return
        failures = [
            f"{verdict.account.name} ({verdict.account.chain_key}): {describe(verdict.first_bad)}"
            for verdict in verification.broken
            if verdict.first_bad is not None
        ]
        failures += verification.general
        msg = "Ledger FAILED verification. " + " | ".join(failures)
        raise CommandError(msg)
