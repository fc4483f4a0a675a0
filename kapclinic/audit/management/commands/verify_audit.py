from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kapclinic.audit.checkpoints import FileSink, configured_sink
from kapclinic.audit.verification import verify_chain


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every entry's seal (AUDIT_KEY and AUDIT_RETIRED_KEYS) and link, "
        "the chain head, and the signed checkpoints. Prints which checks ran; exits 1 naming "
        "the first bad entry or checkpoint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            metavar="PATH",
            help="a checkpoint file (JSON lines) to check against; default: the configured sink",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["checkpoints"]
        sink = FileSink(path) if path else configured_sink()
        result = verify_chain(checkpoints=sink)
        for line in result.summary():
            self.stdout.write(line)
        if not result.ok:
            for problem in result.problems[1:]:
                self.stderr.write(f"also: {problem.text}")
            first = result.problems[0]
            where = (
                f" First bad entry: #{first.position}."
                if first.position is not None
                else f" First bad checkpoint: line {first.checkpoint_line}."
            )
            msg = (
                f"Audit trail FAILED verification after {result.checked} good entries: "
                f"{first.text}.{where}"
            )
            raise CommandError(msg)
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail verified: {result.checked} entries, chain intact.")
        )
