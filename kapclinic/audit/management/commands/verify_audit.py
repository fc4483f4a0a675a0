from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kapclinic.audit.checkpoints import FileSink, configured_sink
from kapclinic.audit.verification import Problem, verify_chain


def _where(problem: Problem) -> str:
    if problem.position is not None:
        return f"First bad entry: #{problem.position} of chain {problem.chain}."
    return f"First bad checkpoint: line {problem.checkpoint_line}."


def _chains(count: int) -> str:
    return f"{count} chain{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Verify the audit trail, every chain (one per clinic, and the global one): every "
        "entry's seal (AUDIT_KEY and AUDIT_RETIRED_KEYS) and link, each chain head, and the "
        "signed checkpoints. Prints which checks ran; exits 1 naming the first bad entry of "
        "each broken chain, or the first bad checkpoint."
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
                self.stderr.write(f"also: {problem.text}. {_where(problem)}")
            first = result.problems[0]
            msg = (
                f"Audit trail FAILED verification after {result.checked} good entries: "
                f"{first.text}. {_where(first)}"
            )
            raise CommandError(msg)
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail verified: {result.checked} entries in {_chains(len(result.chains))}"
                ", every chain intact."
            )
        )
