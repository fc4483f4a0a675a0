from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kapclinic.audit.chain import Checkpoint
from kapclinic.audit.checkpoints import CheckpointRefusedError, configured_sink, write_checkpoint


def _heads(checkpoints: list[Checkpoint]) -> str:
    return ", ".join(f"{c.chain} #{c.position}" for c in checkpoints) or "none"


class Command(BaseCommand):
    help = (
        "Sign the head of every audit chain (each clinic's, and the global one) and append them "
        "to the checkpoint store (AUDIT_CHECKPOINT_FILE or AUDIT_CHECKPOINT_SINK) and to the "
        "kapclinic.audit.checkpoint log. Run it every few minutes from cron; exits 1 when a "
        "chain lost what an earlier checkpoint recorded (that chain is not signed, the others "
        "are)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sink = configured_sink()
        if sink is None:
            msg = "No checkpoint store: set AUDIT_CHECKPOINT_FILE (or AUDIT_CHECKPOINT_SINK)."
            raise CommandError(msg)
        try:
            checkpoints = write_checkpoint(sink=sink, now=timezone.now())
        except CheckpointRefusedError as error:
            msg = (
                f"Audit checkpoint REFUSED: {error}. Run manage.py verify_audit. Signed all "
                f"the same: {_heads(error.written)}."
            )
            raise CommandError(msg) from None
        self.stdout.write(f"Audit checkpoints written to {sink.describe()}: {_heads(checkpoints)}.")
