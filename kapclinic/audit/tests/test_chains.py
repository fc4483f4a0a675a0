"""Issue 12, point 8: one chain per clinic and a global one, each verified on its own.

Tampering is done in raw SQL with the triggers off, as in test_tampering.py; here it targets
one clinic's chain, moves entries between chains, or replays checkpoints across chains. Each
broken chain is named with its first bad entry; the chains left alone still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from kapclinic.audit import services as audit
from kapclinic.audit.chain import GENESIS_HASH, GLOBAL_CHAIN, clinic_chain
from kapclinic.audit.checkpoints import FileSink, write_checkpoint
from kapclinic.audit.keys import current_key
from kapclinic.audit.models import AuditChainHead, AuditEvent, Operation
from kapclinic.audit.tests.helpers import (
    CHAIN_A,
    CHAIN_B,
    CLINIC_A,
    CLINIC_B,
    SampleAuditAction,
    delete_from,
    execute,
    hash_of,
    set_head,
    without_append_only_triggers,
    write_entries,
)
from kapclinic.audit.verification import verify_chain

pytestmark = pytest.mark.django_db


def _three_chains(actor: AbstractBaseUser) -> None:
    write_entries(actor, 4)  # CHAIN_A
    write_entries(actor, 3, clinic=CLINIC_B)
    write_entries(actor, 2, clinic=None)  # GLOBAL_CHAIN


def test_an_entry_goes_to_its_clinics_chain_or_the_global_one(actor: AbstractBaseUser) -> None:
    with transaction.atomic():
        in_a = audit.record(
            actor=actor,
            operation=Operation.READ,
            action=SampleAuditAction.CHART_VIEWED,
            clinic_id=CLINIC_A,
        )
        sign_in = audit.record(
            actor=actor, operation=Operation.AUTH, action=SampleAuditAction.LOGIN
        )
        in_b = audit.record(
            actor=actor,
            operation=Operation.READ,
            action=SampleAuditAction.CHART_VIEWED,
            clinic_id=CLINIC_B,
        )
    assert (in_a.chain, in_a.position, in_a.prev_hash) == (CHAIN_A, 1, GENESIS_HASH)
    assert (sign_in.chain, sign_in.position) == (GLOBAL_CHAIN, 1)
    assert (in_b.chain, in_b.position) == (clinic_chain(CLINIC_B), 1)
    heads = dict(AuditChainHead.objects.values_list("chain", "last_position"))
    assert heads == {CHAIN_A: 1, CHAIN_B: 1, GLOBAL_CHAIN: 1}
    assert verify_chain().ok


def test_each_broken_chain_is_named_with_its_first_bad_entry(actor: AbstractBaseUser) -> None:
    _three_chains(actor)
    with without_append_only_triggers():
        execute(
            "UPDATE audit_auditevent SET purpose = 'x' WHERE chain = %s AND position = 3",
            [CHAIN_A],
        )
        execute(
            "UPDATE audit_auditevent SET target = 'x' WHERE chain = %s AND position = 2",
            [CHAIN_B],
        )
    result = verify_chain()
    assert result.first_bad() == {CHAIN_A: 3, CHAIN_B: 2}
    assert result.chains[GLOBAL_CHAIN].problem is None
    assert result.chains[GLOBAL_CHAIN].checked == 2
    err = StringIO()
    with pytest.raises(CommandError, match=f"First bad entry: #3 of chain {CHAIN_A}"):
        call_command("verify_audit", stdout=StringIO(), stderr=err)
    assert f"First bad entry: #2 of chain {CHAIN_B}" in err.getvalue()


def test_an_entry_moved_to_another_clinics_chain_is_caught(actor: AbstractBaseUser) -> None:
    # The attacker moves A's newest entry to the end of B's chain, links it there and moves
    # both heads: the seal covers the chain key, so it does not verify in B.
    _three_chains(actor)
    with without_append_only_triggers():
        execute(
            "UPDATE audit_auditevent SET chain = %s, position = 4, prev_hash = %s "
            "WHERE chain = %s AND position = 4",
            [CHAIN_B, hash_of(3, CHAIN_B), CHAIN_A],
        )
        set_head(3, hash_of(3, CHAIN_A), CHAIN_A)
        set_head(4, hash_of(4, CHAIN_B), CHAIN_B)
    result = verify_chain()
    assert result.first_bad() == {CHAIN_B: 4}
    assert "does not match its seal" in result.problem


def test_a_clinics_entry_passed_off_as_global_is_caught(actor: AbstractBaseUser) -> None:
    _three_chains(actor)
    with without_append_only_triggers():
        execute(
            "UPDATE audit_auditevent SET chain = %s, position = 3, prev_hash = %s "
            "WHERE chain = %s AND position = 3",
            [GLOBAL_CHAIN, hash_of(2, GLOBAL_CHAIN), CHAIN_B],
        )
        set_head(3, hash_of(3, GLOBAL_CHAIN), GLOBAL_CHAIN)
        set_head(2, hash_of(2, CHAIN_B), CHAIN_B)
    assert verify_chain().first_bad() == {GLOBAL_CHAIN: 3}


def test_a_cut_at_the_tail_of_one_clinics_chain_needs_its_checkpoint(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    _three_chains(actor)
    write_checkpoint(sink=sink, now=timezone.now())
    with without_append_only_triggers():
        delete_from(3, CHAIN_B)
        set_head(2, hash_of(2, CHAIN_B), CHAIN_B)
    assert verify_chain().ok  # consistent with itself: only the checkpoint knows (documented)
    result = verify_chain(checkpoints=sink)
    assert result.first_bad() == {CHAIN_B: 3}
    assert "truncated" in result.problem
    assert result.chains[CHAIN_B].head == "consistent (#2)"  # the head was rolled back with it
    with (
        override_settings(AUDIT_CHECKPOINT_FILE=str(sink.path)),
        pytest.raises(CommandError, match=f"chain {CHAIN_B}: the checkpoint of"),
    ):
        call_command("audit_checkpoint", stdout=StringIO())
    # The untouched chains were checkpointed all the same.
    newest = [json.loads(line) for line in sink.path.read_text().splitlines()[3:]]
    assert sorted(line["chain"] for line in newest) == sorted([CHAIN_A, GLOBAL_CHAIN])


def test_a_wiped_clinic_chain_with_its_head_row_deleted_needs_its_checkpoint(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    _three_chains(actor)
    write_checkpoint(sink=sink, now=timezone.now())
    with without_append_only_triggers():
        delete_from(1, CHAIN_A)
        execute("DELETE FROM audit_auditchainhead WHERE chain = %s", [CHAIN_A])
    assert verify_chain().ok
    result = verify_chain(checkpoints=sink)
    assert result.first_bad() == {CHAIN_A: 1}
    assert "recorded #4" in result.problem


def test_a_re_sealed_clinic_chain_is_caught_by_its_checkpoint(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    # Clinic B's chain is cut back to #1 and the application appends fresh, properly sealed
    # entries past the checkpoint: the key cannot tell, B's checkpoint can.
    _three_chains(actor)
    write_checkpoint(sink=sink, now=timezone.now())
    with without_append_only_triggers():
        delete_from(2, CHAIN_B)
        set_head(1, hash_of(1, CHAIN_B), CHAIN_B)
    write_entries(actor, 3, clinic=CLINIC_B)
    assert verify_chain().ok
    result = verify_chain(checkpoints=sink)
    assert result.first_bad() == {CHAIN_B: 3}
    assert "differs from the checkpoint" in result.problem


def test_a_head_row_deleted_under_its_entries_is_caught(actor: AbstractBaseUser) -> None:
    _three_chains(actor)
    execute("DELETE FROM audit_auditchainhead WHERE chain = %s", [CHAIN_B])
    result = verify_chain()
    assert result.first_bad() == {CHAIN_B: 1}
    assert "no head row" in result.problem


def test_a_checkpoint_moved_to_another_chain_has_a_bad_signature(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    _three_chains(actor)
    (checkpoint,) = [
        c for c in write_checkpoint(sink=sink, now=timezone.now()) if c.chain == CHAIN_A
    ]
    document = json.loads(checkpoint.to_json())
    sink.append(json.dumps({**document, "chain": CHAIN_B}))
    result = verify_chain(checkpoints=sink)
    assert result.problems[0].checkpoint_line == 4
    assert "bad signature" in result.problem


def test_checkpoints_written_before_the_split_still_verify_as_the_global_chain(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    # Version 1 lines (no chain, signed without one) as audit_checkpoint wrote them before
    # migration 0005: they checkpoint GLOBAL_CHAIN, which holds every entry written then.
    write_entries(actor, 3, clinic=None)
    key = current_key()
    stamp = timezone.now().isoformat(timespec="seconds")
    signed = {
        "kind": "checkpoint",
        "v": 1,
        "position": 3,
        "entry_hash": hash_of(3, GLOBAL_CHAIN),
        "at": stamp,
        "key_id": key.id,
    }
    payload = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode("ascii")
    signature = hmac.new(key.secret, payload, hashlib.sha256).hexdigest()
    line = {k: v for k, v in signed.items() if k != "kind"} | {"signature": signature}
    sink.append(json.dumps(line, sort_keys=True, separators=(",", ":")))
    write_entries(actor, 2)  # and a clinic's chain begins
    result = verify_chain(checkpoints=sink)
    assert result.ok, result.problems
    assert result.newest_checkpoint(GLOBAL_CHAIN) is not None
    # The new checkpoint run accepts it as GLOBAL_CHAIN's, and it still catches a cut there.
    write_checkpoint(sink=sink, now=timezone.now())
    with without_append_only_triggers():
        delete_from(3, GLOBAL_CHAIN)
        set_head(2, hash_of(2, GLOBAL_CHAIN), GLOBAL_CHAIN)
    assert verify_chain(checkpoints=sink).first_bad() == {GLOBAL_CHAIN: 3}


def test_after_the_upgrade_the_first_clinic_head_does_not_take_the_global_rows_id(
    actor: AbstractBaseUser,
) -> None:
    # Before migration 0005 the one head row was created with id 1 given explicitly, which
    # left PostgreSQL's sequence behind it: the first clinic's head got id 1 again and failed.
    if connection.vendor == "postgresql":
        execute("SELECT setval(pg_get_serial_sequence('audit_auditchainhead', 'id'), 1, false)")
    execute(
        "INSERT INTO audit_auditchainhead (id, chain, last_position, last_hash, legacy_entries,"
        " legacy_seal) VALUES (1, %s, 0, %s, 0, '')",
        [GLOBAL_CHAIN, GENESIS_HASH],
    )
    module = importlib.import_module("kapclinic.audit.migrations.0005_chain_per_clinic")
    module.continue_head_ids_after_the_global_row(apps, connection.schema_editor())
    (event,) = write_entries(actor, 1)
    assert event.chain == CHAIN_A
    assert AuditChainHead.objects.get(chain=CHAIN_A).pk > 1
    assert verify_chain().ok


def test_a_head_that_cannot_be_created_is_an_error_not_a_lost_entry(
    actor: AbstractBaseUser,
) -> None:
    # An IntegrityError creating a head is taken for another writer's head only when that head
    # is there; else it is raised and nothing is written (here: the id sequence points at a row
    # that exists, as it did on PostgreSQL before migration 0005).
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's AUTOINCREMENT never gives an id that is taken")
    execute(
        "INSERT INTO audit_auditchainhead (id, chain, last_position, last_hash, legacy_entries,"
        " legacy_seal) VALUES (1, %s, 0, %s, 0, '')",
        [GLOBAL_CHAIN, GENESIS_HASH],
    )
    execute("SELECT setval(pg_get_serial_sequence('audit_auditchainhead', 'id'), 1, false)")
    with pytest.raises(IntegrityError), transaction.atomic():
        write_entries(actor, 1)
    assert not AuditEvent.objects.exists()
    assert list(AuditChainHead.objects.values_list("chain", flat=True)) == [GLOBAL_CHAIN]
