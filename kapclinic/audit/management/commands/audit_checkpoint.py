from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kapclinic.audit.checkpoints import CheckpointRefusedError, configured_sink, write_checkpoint


class Command(BaseCommand):
    help = (
        "Sign the audit chain head and append it to the checkpoint store (AUDIT_CHECKPOINT_FILE "
        "or AUDIT_CHECKPOINT_SINK) and to the kapclinic.audit.checkpoint log. Run it every few "
        "minutes from cron; exits 1, signing nothing, when the trail lost what an earlier "
        "checkpoint recorded."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sink = configured_sink()
        if sink is None:
            msg = "No checkpoint store: set AUDIT_CHECKPOINT_FILE (or AUDIT_CHECKPOINT_SINK)."
            raise CommandError(msg)
        try:
            checkpoint = write_checkpoint(sink=sink, now=timezone.now())
        except CheckpointRefusedError as error:
            msg = f"Audit checkpoint REFUSED: {error}. Run manage.py verify_audit."
            raise CommandError(msg) from None
        self.stdout.write(
            f"Audit checkpoint at #{checkpoint.position} written to {sink.describe()}."
        )
