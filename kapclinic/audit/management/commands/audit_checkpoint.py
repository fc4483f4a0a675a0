from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kapclinic.audit.chain import Checkpoint
from kapclinic.audit.checkpoints import (
    CheckpointRefusedError,
    checkpointed_trails,
    configured_sink,
    write_checkpoint,
)


def _heads(checkpoints: list[Checkpoint]) -> str:
    return ", ".join(f"{c.chain} #{c.position}" for c in checkpoints) or "none"


class Command(BaseCommand):
    help = (
        "Sign the head of every audit chain (each clinic's, and the global one) and of every "
        "other registered trail's chain (the stock ledger's accounts) and append them to the "
        "checkpoint store (AUDIT_CHECKPOINT_FILE or AUDIT_CHECKPOINT_SINK) and to the "
        "kapclinic.audit.checkpoint log. Run it every few minutes from cron; exits 1 when a "
        "chain lost what an earlier checkpoint recorded (that chain is not signed, the others "
        "are)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sink = configured_sink()
        if sink is None:
            msg = "No checkpoint store: set AUDIT_CHECKPOINT_FILE (or AUDIT_CHECKPOINT_SINK)."
            raise CommandError(msg)
        now = timezone.now()
        written: list[Checkpoint] = []
        refused: list[str] = []
        for trail in checkpointed_trails():
            try:
                written += write_checkpoint(sink=sink, now=now, trail=trail)
            except CheckpointRefusedError as error:
                written += error.written
                refused.append(str(error))
        if refused:
            msg = (
                f"Audit checkpoint REFUSED: {'; '.join(refused)}. Run manage.py verify_audit "
                f"(and manage.py verify_ledger). Signed all the same: {_heads(written)}."
            )
            raise CommandError(msg)
        self.stdout.write(f"Audit checkpoints written to {sink.describe()}: {_heads(written)}.")
