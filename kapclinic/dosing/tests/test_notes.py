"""Session notes (issue 15.8): drafted, signed and locked; later changes only as signed addenda.
The service refuses a change to a signed note, the models refuse it in Python, and the
database refuses it whatever path an UPDATE or DELETE takes (migration 0003_notes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role
from kapclinic.audit.models import AuditEvent
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import NoteAddendum, SessionNote, SignedRecordError
from kapclinic.dosing.notes import services
from kapclinic.dosing.notes.services import MAX_NOTE_CHARS
from kapclinic.dosing.services import DosingError
from kapclinic.dosing.tests.esketamine import EsketamineSession, esketamine_session
from kapclinic.ledger.models import Entry
from kapclinic.ledger.tests.conftest import Stock, staff

TRIGGERS = {
    "sqlite": {
        "dosing_sessionnote_signed",
        "dosing_sessionnote_no_delete",
        "dosing_noteaddendum_append_only",
        "dosing_noteaddendum_no_delete",
        "dosing_noteaddendum_signed_note",
        "dosing_remsformsubmission_append_only",
        "dosing_remsformsubmission_no_delete",
    },
    "postgresql": {
        "dosing_sessionnote_signed",
        "dosing_noteaddendum_append_only",
        "dosing_noteaddendum_signed_note",
        "dosing_remsformsubmission_append_only",
    },
}


@pytest.fixture
def dosed(stock: Stock, receive: Callable[..., Entry]) -> EsketamineSession:
    return esketamine_session(stock, receive, dosed_at=stock.now - timedelta(hours=3))


def _actor(stock: Stock, role: Role) -> Actor:
    return Actor.for_user(staff(stock.clinic, role), stock.clinic)


def _signed(stock: Stock, dosed: EsketamineSession, now: datetime) -> SessionNote:
    draft = services.save_draft(
        actor=stock.nurse,
        session=dosed.session,
        text="Calm throughout; BP peaked at 40 min.",
        now=now,
    )
    return services.sign_note(actor=stock.nurse, note=draft, now=now)


def _raw(sql: str, params: Sequence[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_draft_changes_until_signed_then_the_service_refuses_any_change(
    stock: Stock, dosed: EsketamineSession
) -> None:
    """Issue 15.8: one draft per author, changed freely; signed, it is locked with its hash."""
    now = stock.now
    draft = services.save_draft(actor=stock.nurse, session=dosed.session, text="First", now=now)
    again = services.save_draft(
        actor=stock.nurse, session=dosed.session, text="First, corrected", now=now
    )
    assert again.pk == draft.pk
    signed = services.sign_note(actor=stock.nurse, note=again, now=now)
    assert signed.is_signed
    assert signed.text == "First, corrected"
    assert len(signed.text_sha256) == 64
    with pytest.raises(DosingError, match="already signed: add an addendum"):
        services.sign_note(actor=stock.nurse, note=signed, now=now, text="Rewritten")
    assert SessionNote.objects.get(pk=signed.pk).text == "First, corrected"
    # Writing again starts a new note: the signed one stays as it was.
    second = services.save_draft(actor=stock.nurse, session=dosed.session, text="Later", now=now)
    assert second.pk != signed.pk
    assert SessionNote.objects.get(pk=signed.pk).text == "First, corrected"


def test_the_models_refuse_to_change_or_delete_a_signed_note(
    stock: Stock, dosed: EsketamineSession
) -> None:
    """Issue 15.8: save, delete and queryset update/delete of a signed note are refused."""
    note = _signed(stock, dosed, stock.now)
    note.text = "Changed behind the service"
    with pytest.raises(SignedRecordError):
        note.save()
    with pytest.raises(SignedRecordError):
        note.delete()
    with pytest.raises(SignedRecordError):
        SessionNote.objects.filter(pk=note.pk).update(text="x")
    with pytest.raises(SignedRecordError):
        SessionNote.objects.filter(pk=note.pk).delete()
    assert SessionNote.objects.get(pk=note.pk).text == "Calm throughout; BP peaked at 40 min."


def test_the_database_refuses_to_change_or_delete_a_signed_note(
    stock: Stock, dosed: EsketamineSession
) -> None:
    """Issue 15.8: the triggers of 0003_notes refuse an UPDATE or DELETE of a signed note (a
    draft may still change), on SQLite and PostgreSQL."""
    note = _signed(stock, dosed, stock.now)
    with pytest.raises(DatabaseError, match="signed notes never change"):
        _raw("UPDATE dosing_sessionnote SET text = %s WHERE id = %s", ["forged", note.pk])
    with pytest.raises(DatabaseError, match="signed notes never change"):
        _raw("UPDATE dosing_sessionnote SET signed_at = NULL WHERE id = %s", [note.pk])
    with pytest.raises(DatabaseError, match="signed notes never change"):
        _raw("DELETE FROM dosing_sessionnote WHERE id = %s", [note.pk])
    draft = services.save_draft(
        actor=_actor(stock, Role.THERAPIST), session=dosed.session, text="Draft", now=stock.now
    )
    _raw("UPDATE dosing_sessionnote SET text = %s WHERE id = %s", ["Draft, edited", draft.pk])
    assert SessionNote.objects.get(pk=draft.pk).text == "Draft, edited"
    assert SessionNote.objects.get(pk=note.pk).text == "Calm throughout; BP peaked at 40 min."


def test_addenda_are_signed_by_whom_and_when_and_only_added_to_signed_notes(
    stock: Stock, dosed: EsketamineSession
) -> None:
    """Issue 15.8: an addendum carries its author, role and time; a draft takes none (service
    and database); an addendum is never changed or deleted (models and database)."""
    draft = services.save_draft(
        actor=stock.nurse, session=dosed.session, text="Unsigned yet", now=stock.now
    )
    with pytest.raises(DosingError, match="Sign the note first"):
        services.add_addendum(actor=stock.nurse, note=draft, text="Too early", now=stock.now)
    with pytest.raises(DatabaseError, match="signed note only"):
        _raw(
            "INSERT INTO dosing_noteaddendum (public_id, note_id, author_id, author_role, text,"
            " signed_at, text_sha256) VALUES (%s, %s, %s, 'nurse', 'x', %s, %s)",
            ["0" * 32, draft.pk, stock.nurse.user.pk, stock.now, "0" * 64],
        )
    note = services.sign_note(actor=stock.nurse, note=draft, now=stock.now)
    later = stock.now + timedelta(hours=2)
    therapist = _actor(stock, Role.THERAPIST)
    addendum = services.add_addendum(
        actor=therapist, note=note, text="Patient called: slept well, no nausea.", now=later
    )
    assert (addendum.author, addendum.author_role, addendum.signed_at) == (
        therapist.user,
        "therapist",
        later,
    )
    assert [a.pk for a in note.addenda.all()] == [addendum.pk]
    addendum.text = "Changed"
    with pytest.raises(SignedRecordError):
        addendum.save()
    with pytest.raises(SignedRecordError):
        NoteAddendum.objects.filter(pk=addendum.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE dosing_noteaddendum SET text = 'x' WHERE id = %s", [addendum.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM dosing_noteaddendum WHERE id = %s", [addendum.pk])
    assert NoteAddendum.objects.get(pk=addendum.pk).text == "Patient called: slept well, no nausea."


def test_only_its_author_signs_and_only_clinicians_write(
    stock: Stock, dosed: EsketamineSession
) -> None:
    """Issue 15.8: a note is signed by whoever wrote it, in a role they hold."""
    draft = services.save_draft(
        actor=stock.nurse, session=dosed.session, text="Mine", now=stock.now
    )
    with pytest.raises(DosingError, match="Only its author signs"):
        services.sign_note(actor=stock.prescriber, note=draft, now=stock.now)
    with pytest.raises(DosingError, match="nurse, a therapist or a prescriber"):
        services.save_draft(
            actor=_actor(stock, Role.FRONT_DESK), session=dosed.session, text="x", now=stock.now
        )
    with pytest.raises(DosingError, match="role you hold"):
        services.save_draft(
            actor=stock.nurse, session=dosed.session, text="x", now=stock.now, role="prescriber"
        )
    assert not SessionNote.objects.get(pk=draft.pk).is_signed


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "it is empty"), ("  \u200b\n ", "it is empty"), ("x" * (MAX_NOTE_CHARS + 1), "at most")],
)
def test_an_empty_or_too_long_note_is_refused_and_nothing_is_stored(
    stock: Stock, dosed: EsketamineSession, text: str, message: str
) -> None:
    """Issue 15.8: no empty note, no silent truncation."""
    with pytest.raises(DosingError, match=message):
        services.save_draft(actor=stock.nurse, session=dosed.session, text=text, now=stock.now)
    assert not SessionNote.objects.filter(session=dosed.session).exists()


def test_drafting_signing_and_addenda_are_audited_with_the_text_hash(
    stock: Stock, dosed: EsketamineSession
) -> None:
    """Issue 15.8: each write is in the audit trail; signing seals the text's SHA-256 there."""
    note = _signed(stock, dosed, stock.now)
    services.add_addendum(actor=stock.prescriber, note=note, text="Reviewed.", now=stock.now)
    events = AuditEvent.objects.filter(
        patient_public_id=dosed.session.patient.public_id,
        action__in=[
            DosingAuditAction.NOTE_DRAFTED,
            DosingAuditAction.NOTE_SIGNED,
            DosingAuditAction.NOTE_ADDENDUM_SIGNED,
        ],
    ).order_by("id")
    assert [e.action for e in events] == [
        DosingAuditAction.NOTE_DRAFTED,
        DosingAuditAction.NOTE_SIGNED,
        DosingAuditAction.NOTE_ADDENDUM_SIGNED,
    ]
    assert events[1].detail["sha256"] == note.text_sha256


@pytest.mark.django_db
def test_the_triggers_that_lock_signed_records_exist() -> None:
    """Issue 15.8: a migration that rebuilt these tables without their triggers would fail."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    assert TRIGGERS[connection.vendor] <= names
