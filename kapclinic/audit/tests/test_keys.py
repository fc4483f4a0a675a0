"""Key rotation, unknown keys, and the legacy unkeyed entries written before the key."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from kapclinic.audit.chain import GENESIS_HASH, GLOBAL_CHAIN, audit_key, legacy_entry_hash
from kapclinic.audit.checkpoints import FileSink, write_checkpoint
from kapclinic.audit.keys import current_key
from kapclinic.audit.models import AuditChainHead, AuditEvent
from kapclinic.audit.services import hashed_content
from kapclinic.audit.tests.helpers import (
    execute,
    hash_of,
    plain_sha256_posing_as_legacy,
    reseal_from,
    without_append_only_triggers,
    write_entries,
)
from kapclinic.audit.verification import verify_chain

pytestmark = pytest.mark.django_db

OLD = "the-old-audit-key-retired-in-the-rotation-0000000"
NEW = "the-new-audit-key-current-after-the-rotation-11111"


def test_the_key_id_is_derived_from_the_key_and_does_not_reveal_it() -> None:
    assert audit_key(OLD).id == audit_key(OLD).id
    assert audit_key(OLD).id != audit_key(NEW).id
    assert len(audit_key(OLD).id) == 12
    assert OLD not in repr(audit_key(OLD))


def test_entries_sealed_by_a_retired_key_still_verify_after_a_rotation(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    with override_settings(AUDIT_KEY=OLD):
        write_entries(actor, 3)
        write_checkpoint(sink=sink, now=timezone.now())  # checkpoint before the rotation
    with override_settings(AUDIT_KEY=NEW, AUDIT_RETIRED_KEYS=[OLD]):
        write_checkpoint(sink=sink, now=timezone.now())  # ... and right after it
        write_entries(actor, 2)
        result = verify_chain(checkpoints=sink)
        out = StringIO()
        call_command("verify_audit", "--checkpoints", str(sink.path), stdout=out)
    assert result.ok, result.problems
    assert result.keyed == {audit_key(OLD).id: 3, audit_key(NEW).id: 2}
    ids = sorted([(audit_key(OLD).id, 3), (audit_key(NEW).id, 2)])
    assert f"key ids {ids[0][0]}: {ids[0][1]}, {ids[1][0]}: {ids[1][1]}" in out.getvalue()
    assert [e.key_id for e in AuditEvent.objects.all()] == [audit_key(OLD).id] * 3 + [
        audit_key(NEW).id
    ] * 2


def test_a_key_missing_from_the_retired_list_is_reported_as_unknown(
    actor: AbstractBaseUser, sink: FileSink
) -> None:
    with override_settings(AUDIT_KEY=OLD):
        write_entries(actor, 2)
        write_checkpoint(sink=sink, now=timezone.now())
    with override_settings(AUDIT_KEY=NEW):
        write_entries(actor, 1)
        result = verify_chain()
        with_checkpoints = verify_chain(checkpoints=sink)
    assert (result.ok, result.first_bad_position) == (False, 1)
    assert f"unknown key id '{audit_key(OLD).id}'" in result.problem
    assert "AUDIT_RETIRED_KEYS" in result.problem
    assert any("unknown key id" in p.text for p in with_checkpoints.problems)


def _write_legacy_entries(actor: AbstractBaseUser, count: int) -> None:
    """Entries as the code before issue 10, point 4 wrote them (plain SHA-256, no key id), in
    the one chain of then, which migration 0005 made GLOBAL_CHAIN."""
    write_entries(actor, count, clinic=None)
    with without_append_only_triggers():
        reseal_from(1, plain_sha256_posing_as_legacy, GLOBAL_CHAIN)


def _run_migration_0003_data_step() -> None:
    """The data step of the migration that introduced the key, on the trail as it is now.

    Then the trail had one head row, id 1, which migration 0005 made GLOBAL_CHAIN's: the step
    reads and writes the row with id 1, so GLOBAL_CHAIN's row (the only one here) gets id 1.
    """
    execute("UPDATE audit_auditchainhead SET id = 1 WHERE chain = %s", [GLOBAL_CHAIN])
    module = importlib.import_module("kapclinic.audit.migrations.0003_keyed_entries")
    module.seal_legacy_boundary(apps, connection.schema_editor())  # the step runs no DDL


def test_legacy_entries_verify_and_are_reported_but_never_re_sealed(
    actor: AbstractBaseUser,
) -> None:
    _write_legacy_entries(actor, 3)
    legacy_hashes = [e.entry_hash for e in AuditEvent.objects.all()]
    _run_migration_0003_data_step()
    write_entries(actor, 2, clinic=None)
    write_entries(actor, 2)  # in CLINIC_A's chain: no legacy entries there
    result = verify_chain()
    assert result.ok, result.problems
    assert (result.legacy, sum(result.keyed.values())) == (3, 4)
    assert [e.entry_hash for e in AuditEvent.objects.all()[:3]] == legacy_hashes
    assert AuditEvent.objects.get(chain=GLOBAL_CHAIN, position=1).prev_hash == GENESIS_HASH
    summary = " ".join(result.summary())
    assert "3 legacy unkeyed" in summary
    assert "protected only by the sealed legacy boundary and the checkpoints" in summary


def test_a_legacy_entry_edited_and_re_hashed_up_to_the_boundary_is_caught(
    actor: AbstractBaseUser,
) -> None:
    _write_legacy_entries(actor, 3)
    _run_migration_0003_data_step()
    write_entries(actor, 2, clinic=None)
    with without_append_only_triggers():
        execute("UPDATE audit_auditevent SET purpose = 'x' WHERE position = 2")
        prev = hash_of(1, GLOBAL_CHAIN)
        for event in AuditEvent.objects.filter(position__in=[2, 3]).order_by("position"):
            digest = legacy_entry_hash(hashed_content(event), prev)
            execute(
                "UPDATE audit_auditevent SET prev_hash = %s, entry_hash = %s WHERE id = %s",
                [prev, digest, event.pk],
            )
            prev = digest
    result = verify_chain()
    assert (result.ok, result.first_bad_position) == (False, 3)
    assert "legacy boundary" in result.problem


def test_moving_the_legacy_boundary_to_pass_off_keyed_entries_as_legacy_is_caught(
    actor: AbstractBaseUser,
) -> None:
    _write_legacy_entries(actor, 2)
    _run_migration_0003_data_step()
    write_entries(actor, 3, clinic=None)
    with without_append_only_triggers():
        reseal_from(3, plain_sha256_posing_as_legacy, GLOBAL_CHAIN)
        execute("UPDATE audit_auditchainhead SET legacy_entries = 5 WHERE id = 1")
    result = verify_chain()
    assert (result.ok, result.first_bad_position) == (False, 5)
    assert "legacy boundary" in result.problem


def test_a_new_installation_has_no_legacy_boundary(actor: AbstractBaseUser) -> None:
    _run_migration_0003_data_step()
    write_entries(actor, 1)
    head = AuditChainHead.objects.get()
    assert (head.legacy_entries, head.legacy_seal) == (0, "")
    assert AuditEvent.objects.get().key_id == current_key().id
