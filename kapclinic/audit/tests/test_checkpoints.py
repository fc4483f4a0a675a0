"""manage.py audit_checkpoint: signed heads in the log and the checkpoint store."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from kapclinic.audit import services as audit
from kapclinic.audit.chain import checkpoint_signature_is_valid, parse_checkpoint
from kapclinic.audit.checkpoints import FileSink, configured_sink
from kapclinic.audit.keys import current_key
from kapclinic.audit.models import Operation
from kapclinic.audit.tests.helpers import (
    CHAIN_A,
    CLINIC_A,
    SampleAuditAction,
    delete_from,
    hash_of,
    set_head,
    without_append_only_triggers,
    write_entries,
)
from kapclinic.audit.verification import verify_chain

pytestmark = pytest.mark.django_db

LOGGED = re.compile(
    r"^audit checkpoint chain=clinic:[0-9a-f-]{36} position=\d+ entry_hash=[0-9a-f]{64} at=\S+ "
    r"key_id=[0-9a-f]{12} signature=[0-9a-f]{64}$"
)


class MemorySink:
    """A sink named by AUDIT_CHECKPOINT_SINK (a dotted path), as a log shipper's would be."""

    written: list[str] = []

    def describe(self) -> str:
        return "memory"

    def append(self, line: str) -> None:
        MemorySink.written.append(line)

    def lines(self) -> Iterator[str]:
        return iter(list(MemorySink.written))


def test_a_checkpoint_is_signed_and_goes_to_the_file_and_the_log(
    actor: AbstractBaseUser, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_entries(actor, 3)
    path = tmp_path / "audit" / "checkpoints.jsonl"
    out = StringIO()
    with (
        override_settings(AUDIT_CHECKPOINT_FILE=str(path)),
        caplog.at_level(logging.INFO, logger="kapclinic.audit.checkpoint"),
    ):
        call_command("audit_checkpoint", stdout=out)
        call_command("audit_checkpoint", stdout=StringIO())
    assert f"Audit checkpoints written to {path}: {CHAIN_A} #3." in out.getvalue()
    lines = path.read_text().splitlines()
    assert len(lines) == 2  # appended, never rewritten
    checkpoint = parse_checkpoint(lines[0])
    assert (checkpoint.position, checkpoint.entry_hash) == (3, hash_of(3))
    assert checkpoint.key_id == current_key().id
    assert checkpoint_signature_is_valid(checkpoint, current_key())
    assert checkpoint.chain == CHAIN_A
    assert set(json.loads(lines[0])) == {
        "v",
        "chain",
        "position",
        "entry_hash",
        "at",
        "key_id",
        "signature",
    }
    # Numbers and hashes only: no PHI, no e-mail address, nothing from the entries' content.
    messages = [r.getMessage() for r in caplog.records if r.name == "kapclinic.audit.checkpoint"]
    assert len(messages) == 2
    assert all(LOGGED.match(message) for message in messages), messages
    assert "auditor@" not in caplog.text


def test_the_checkpoint_of_an_empty_trail_is_position_zero(sink: FileSink) -> None:
    with override_settings(AUDIT_CHECKPOINT_FILE=str(sink.path)):
        call_command("audit_checkpoint", stdout=StringIO())
    assert parse_checkpoint(sink.path.read_text()).position == 0
    assert verify_chain(checkpoints=sink).ok


def test_a_rolled_back_trail_is_not_signed(actor: AbstractBaseUser, sink: FileSink) -> None:
    write_entries(actor, 5)
    with override_settings(AUDIT_CHECKPOINT_FILE=str(sink.path)):
        call_command("audit_checkpoint", stdout=StringIO())
        with without_append_only_triggers():
            delete_from(4)
            set_head(3, hash_of(3))
        with pytest.raises(
            CommandError, match=rf"REFUSED: chain {CHAIN_A}: the checkpoint of .* recorded #5"
        ):
            call_command("audit_checkpoint", stdout=StringIO())
    assert len(sink.path.read_text().splitlines()) == 1


def test_a_head_that_points_past_the_trail_is_not_signed(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    write_entries(actor, 2)
    with without_append_only_triggers():
        delete_from(2)
    with (
        override_settings(AUDIT_CHECKPOINT_FILE=str(sink.path)),
        pytest.raises(CommandError, match="head records #2"),
    ):
        call_command("audit_checkpoint", stdout=StringIO())
    assert not sink.path.exists()


def test_without_a_checkpoint_store_the_command_says_what_to_set() -> None:
    with (
        override_settings(AUDIT_CHECKPOINT_FILE=""),
        pytest.raises(CommandError, match="AUDIT_CHECKPOINT_FILE"),
    ):
        call_command("audit_checkpoint")


def test_the_sink_is_pluggable_by_a_dotted_path(actor: AbstractBaseUser) -> None:
    write_entries(actor, 2)
    MemorySink.written.clear()
    with override_settings(
        AUDIT_CHECKPOINT_FILE="",
        AUDIT_CHECKPOINT_SINK="kapclinic.audit.tests.test_checkpoints.MemorySink",
    ):
        call_command("audit_checkpoint", stdout=StringIO())
        out = StringIO()
        call_command("verify_audit", stdout=out)
        sink = configured_sink()
    assert isinstance(sink, MemorySink)
    assert parse_checkpoint(MemorySink.written[0]).position == 2
    assert "checkpoints: 1 read from memory" in out.getvalue()


def test_verify_audit_reads_the_configured_checkpoint_file_by_default(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    write_entries(actor, 2)
    with override_settings(AUDIT_CHECKPOINT_FILE=str(sink.path)):
        call_command("audit_checkpoint", stdout=StringIO())
        out = StringIO()
        call_command("verify_audit", stdout=out)
    assert f"checkpoints: 1 read from {sink.path}, signatures valid" in out.getvalue()


def test_sealing_adds_no_query_to_record(actor: AbstractBaseUser) -> None:
    write_entries(actor, 1)  # the head row of CLINIC_A's chain exists from now on
    with CaptureQueriesContext(transaction.get_connection()) as queries, transaction.atomic():
        audit.record(
            actor=actor,
            operation=Operation.READ,
            action=SampleAuditAction.CHART_VIEWED,
            clinic_id=CLINIC_A,
        )
    # Lock the head, insert the entry, move the head (and the savepoint pair on some backends).
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 3, statements
