from __future__ import annotations

import itertools
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from kapclinic.audit import services as audit
from kapclinic.audit.chain import GENESIS_HASH
from kapclinic.audit.keys import current_key
from kapclinic.audit.models import AppendOnlyError, AuditChainHead, AuditEvent, Operation
from kapclinic.audit.services import hashed_content
from kapclinic.audit.tests.helpers import (
    CHAIN_A,
    SampleAuditAction,
    without_append_only_triggers,
    write_entries,
)
from kapclinic.audit.verification import verify_chain
from kapclinic.core.request_context import (
    RequestContext,
    reset_request_context,
    set_request_context,
)

pytestmark = pytest.mark.django_db


def test_entries_form_a_contiguous_hash_chain(actor: AbstractBaseUser) -> None:
    events = write_entries(actor, 4)
    assert [e.position for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.entry_hash
    head = AuditChainHead.objects.get()
    assert (head.last_position, head.last_hash) == (4, events[-1].entry_hash)
    assert {e.key_id for e in events} == {current_key().id}
    assert verify_chain().ok


def test_an_entry_records_who_what_and_the_change(actor: AbstractBaseUser) -> None:
    token = set_request_context(RequestContext("req-123456", "10.1.2.3"))
    try:
        (event,) = write_entries(actor, 1)
    finally:
        reset_request_context(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == actor
    assert stored.actor_label == "auditor@staff.example.org"
    assert stored.actor_roles == "nurse"
    assert stored.changes == {"phone": ["+1-555-200-0000", "+1-555-200-0000"]}
    assert stored.request_id == "req-123456"
    assert stored.ip_address == "10.1.2.3"
    assert verify_chain().ok


def test_a_client_address_that_is_not_one_is_stored_as_none(actor: AbstractBaseUser) -> None:
    token = set_request_context(RequestContext("req-654321", "not-an-address"))
    try:
        (event,) = write_entries(actor, 1)
    finally:
        reset_request_context(token)
    assert AuditEvent.objects.get(pk=event.pk).ip_address is None
    assert verify_chain().ok


def test_an_action_is_stored_and_sealed_as_its_plain_text(actor: AbstractBaseUser) -> None:
    # Catalogue members are TextChoices: the row and the hash hold the dotted text, so entries
    # written before the catalogues existed, and those written since, verify alike.
    (event,) = write_entries(actor, 1)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert type(stored.action) is str
    assert stored.action == "patients.demographics_changed"
    assert hashed_content(stored)["action"] == "patients.demographics_changed"
    assert stored.entry_hash == event.entry_hash  # sealed from the member, checked from the text
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(actor: AbstractBaseUser) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(actor=actor, operation=Operation.READ, action=SampleAuditAction.CHART_VIEWED)
    assert not AuditEvent.objects.exists()


def test_the_model_refuses_updates_and_deletes(actor: AbstractBaseUser) -> None:
    (event,) = write_entries(actor, 1)
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_updates_even_in_raw_sql(actor: AbstractBaseUser) -> None:
    (event,) = write_entries(actor, 1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])


def test_verify_audit_names_an_edited_entry(actor: AbstractBaseUser) -> None:
    events = write_entries(actor, 5)
    with without_append_only_triggers(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_label = 'someone-else' WHERE id = %s", [events[2].pk]
        )
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_position == 3
    assert "edited" in result.problem
    with pytest.raises(CommandError, match="First bad entry: #3"):
        call_command("verify_audit")


def test_verify_audit_names_a_deleted_entry(actor: AbstractBaseUser) -> None:
    events = write_entries(actor, 5)
    with without_append_only_triggers(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_position) == (False, 2)
    assert "missing" in result.problem


def test_verify_audit_notices_the_newest_entry_deleted(actor: AbstractBaseUser) -> None:
    events = write_entries(actor, 3)
    with without_append_only_triggers(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_position) == (False, 3)
    assert "chain head" in result.problem


def test_verify_audit_notices_reordered_entries(actor: AbstractBaseUser) -> None:
    events = write_entries(actor, 4)
    with without_append_only_triggers(), connection.cursor() as cursor:
        # Swap entries 2 and 3, positions and all (hashes travel with their rows).
        cursor.execute("UPDATE audit_auditevent SET position = 1000 WHERE id = %s", [events[1].pk])
        cursor.execute("UPDATE audit_auditevent SET position = 2 WHERE id = %s", [events[2].pk])
        cursor.execute("UPDATE audit_auditevent SET position = 3 WHERE id = %s", [events[1].pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_position) == (False, 2)


def test_verify_audit_passes_on_an_intact_trail(actor: AbstractBaseUser) -> None:
    write_entries(actor, 3)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "3 entries in 1 chain, every chain intact" in out.getvalue()
    assert "hash chains: 1; 3 entries, 3 keyed" in out.getvalue()
    assert "0 legacy unkeyed" in out.getvalue()
    assert f"chain {CHAIN_A}: 3 entries, head consistent (#3)" in out.getvalue()
    assert "no checkpoint file configured" in out.getvalue()
    assert "cannot be detected" in out.getvalue()


def test_an_empty_trail_verifies() -> None:
    assert verify_chain().ok


def test_the_database_refuses_deletes_even_in_raw_sql(actor: AbstractBaseUser) -> None:
    # Issue 10, point 4: on SQLite a plain DELETE used to pass without dropping any trigger.
    events = write_entries(actor, 2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 2


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                "AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'audit_auditevent'"
            )
        return {row[0] for row in cursor.fetchall()}


def test_both_append_only_triggers_exist() -> None:
    # A migration that rebuilds the table on SQLite drops its triggers (0003 did; 0004 re-creates).
    expected = (
        {"audit_event_append_only"}
        if connection.vendor == "postgresql"
        else {"audit_event_append_only", "audit_event_no_delete"}
    )
    assert _triggers() == expected


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail_and_keeps_the_delete_trigger(actor: AbstractBaseUser) -> None:
    # The test flush of transaction=True and live_server tests, and manage.py flush, go through
    # kapclinic/audit/management/commands/flush.py (see migration 0004).
    write_entries(actor, 2)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert "audit_event_append_only" in _triggers()
    if connection.vendor == "sqlite":
        assert "audit_event_no_delete" in _triggers()
    (event,) = write_entries(
        get_user_model().objects.create_user("b@staff.example.org", "y" * 20, full_name="B"), 1
    )
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.count() == 1
