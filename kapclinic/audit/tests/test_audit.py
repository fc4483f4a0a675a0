from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from kapclinic.audit import services as audit
from kapclinic.audit.chain import GENESIS_HASH
from kapclinic.audit.models import AppendOnlyError, AuditChainHead, AuditEvent, Operation
from kapclinic.audit.verification import verify_chain
from kapclinic.core.request_context import (
    RequestContext,
    reset_request_context,
    set_request_context,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor() -> AbstractBaseUser:
    return get_user_model().objects.create_user(
        "auditor@staff.example.org", "x" * 20, full_name="Ann Auditor"
    )


def _write(actor: AbstractBaseUser, count: int) -> list[AuditEvent]:
    events = []
    for number in range(count):
        with transaction.atomic():
            events.append(
                audit.record(
                    actor=actor,
                    operation=Operation.UPDATE,
                    action="patients.demographics_changed",
                    actor_roles=["nurse"],
                    clinic_id=uuid.uuid4(),
                    patient_id=uuid.uuid4(),
                    target=f"patients.Patient:{uuid.uuid4()}",
                    changes={"phone": ("+1-555-200-0000", f"+1-555-200-{number:04d}")},
                    detail={"n": number, "weight_kg": 71.5},
                )
            )
    return events


@contextmanager
def _without_append_only_trigger() -> Iterator[None]:
    """What an attacker with the database owner's rights could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # triggers off
        else:
            cursor.execute("DROP TRIGGER audit_event_append_only")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_entries_form_a_contiguous_hash_chain(actor: AbstractBaseUser) -> None:
    events = _write(actor, 4)
    assert [e.position for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.entry_hash
    head = AuditChainHead.objects.get()
    assert (head.last_position, head.last_hash) == (4, events[-1].entry_hash)
    assert verify_chain().ok


def test_an_entry_records_who_what_and_the_change(actor: AbstractBaseUser) -> None:
    token = set_request_context(RequestContext("req-123456", "10.1.2.3"))
    try:
        (event,) = _write(actor, 1)
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


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(actor: AbstractBaseUser) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(actor=actor, operation=Operation.READ, action="x")
    assert not AuditEvent.objects.exists()


def test_the_model_refuses_updates_and_deletes(actor: AbstractBaseUser) -> None:
    (event,) = _write(actor, 1)
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
    (event,) = _write(actor, 1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])


def test_verify_audit_names_an_edited_entry(actor: AbstractBaseUser) -> None:
    events = _write(actor, 5)
    with _without_append_only_trigger(), connection.cursor() as cursor:
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
    events = _write(actor, 5)
    with _without_append_only_trigger(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_position) == (False, 2)
    assert "missing" in result.problem


def test_verify_audit_notices_the_newest_entry_deleted(actor: AbstractBaseUser) -> None:
    events = _write(actor, 3)
    with _without_append_only_trigger(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_position) == (False, 3)
    assert "chain head" in result.problem


def test_verify_audit_notices_reordered_entries(actor: AbstractBaseUser) -> None:
    events = _write(actor, 4)
    with _without_append_only_trigger(), connection.cursor() as cursor:
        # Swap entries 2 and 3, positions and all (hashes travel with their rows).
        cursor.execute("UPDATE audit_auditevent SET position = 1000 WHERE id = %s", [events[1].pk])
        cursor.execute("UPDATE audit_auditevent SET position = 2 WHERE id = %s", [events[2].pk])
        cursor.execute("UPDATE audit_auditevent SET position = 3 WHERE id = %s", [events[1].pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_position) == (False, 2)


def test_verify_audit_passes_on_an_intact_trail(actor: AbstractBaseUser) -> None:
    _write(actor, 3)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "3 entries, chain intact" in out.getvalue()


def test_an_empty_trail_verifies() -> None:
    assert verify_chain().ok
