"""Writes of session notes and of the REMS form's submission (issue 15.8), each audited in its
transaction.

A note is drafted, then signed by its author and locked; after that only addenda, each signed
by its author as it is written. The database refuses the same (migration 0003_notes), so a
path that skips this service cannot change a signed note either. Marking the REMS Patient
Monitoring Form submitted (R-REMS-5) stores who, on which day, the REMS confirmation number
and the form's content as it was.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Final

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role
from kapclinic.accounts.permissions import Capability
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import visible_text
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import (
    DosingSession,
    NoteAddendum,
    NoteAuthorRole,
    RemsFormSubmission,
    SessionNote,
)
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.notes.rems import assemble_monitoring_form, session_day, snapshot
from kapclinic.dosing.rules import rems_form
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services.recording import record
from kapclinic.dosing.services.sessions import DosingError

MAX_NOTE_CHARS: Final = 20_000
CONFIRMATION: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,39}$")
# Monitoring has ended once the patient is ready to leave (R-REMS-4) or gone.
MONITORING_ENDED: Final = frozenset({State.READY_FOR_DISCHARGE, State.DISCHARGED})
ROLE_OF: Final[dict[NoteAuthorRole, Role]] = {
    NoteAuthorRole.NURSE: Role.NURSE,
    NoteAuthorRole.THERAPIST: Role.THERAPIST,
    NoteAuthorRole.PRESCRIBER: Role.PRESCRIBER,
}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def writing_roles(actor: Actor) -> list[NoteAuthorRole]:
    """The roles ``actor`` may write a note in (those they hold in their clinic)."""
    return [role for role, held in ROLE_OF.items() if held in actor.roles]


def _role(actor: Actor, role: NoteAuthorRole | str | None) -> NoteAuthorRole:
    mine = writing_roles(actor)
    if not mine or not actor.can(Capability.WRITE_SESSION_NOTES):
        msg = "Only a nurse, a therapist or a prescriber of this clinic writes session notes."
        raise DosingError(msg)
    if role is None or role == "":
        return mine[0]
    if role not in {r.value for r in mine}:
        msg = "Write the note in a role you hold in this clinic."
        raise DosingError(msg)
    return NoteAuthorRole(role)


def _text(text: str | None, what: str) -> str:
    kept = visible_text(text or "")
    if not kept or not any(ch.isalnum() for ch in kept):
        msg = f"Write the {what} in words: it is empty."
        raise DosingError(msg)
    if len(kept) > MAX_NOTE_CHARS:
        msg = (
            f"The {what} is {len(kept)} characters long; at most {MAX_NOTE_CHARS} fit. "
            "Shorten it, or add the rest as an addendum once it is signed."
        )
        raise DosingError(msg)
    return kept


def _same_clinic(actor: Actor, session: DosingSession) -> None:
    if actor.current_clinic.pk != session.clinic_id:
        msg = "That session is not in your clinic."
        raise DosingError(msg)


def save_draft(
    *,
    actor: Actor,
    session: DosingSession,
    text: str,
    now: datetime,
    role: NoteAuthorRole | str | None = None,
) -> SessionNote:
    """Start the actor's draft note of ``session`` or change it (one draft per author)."""
    _same_clinic(actor, session)
    as_role = _role(actor, role)
    body = _text(text, "note")
    with transaction.atomic():
        draft = (
            SessionNote.objects.select_for_update()
            .filter(session=session, author=actor.user, signed_at__isnull=True)
            .first()
        )
        if draft is None:
            draft = SessionNote.objects.create(
                session=session,
                author=actor.user,
                author_role=as_role.value,
                text=body,
                created_at=now,
                updated_at=now,
            )
            operation = Operation.CREATE
        else:
            draft.text = body
            draft.author_role = as_role.value
            draft.updated_at = now
            draft.save(update_fields=["text", "author_role", "updated_at"])
            operation = Operation.UPDATE
        record(
            actor=actor,
            action=DosingAuditAction.NOTE_DRAFTED,
            session=session,
            operation=operation,
            detail={"note": str(draft.public_id), "role": as_role.value},
        )
    return draft


def sign_note(
    *, actor: Actor, note: SessionNote, now: datetime, text: str | None = None
) -> SessionNote:
    """Sign the author's own draft (with ``text``, when the draft is changed as it is signed);
    from now on it never changes."""
    with transaction.atomic():
        locked = (
            SessionNote.objects.select_for_update()
            .select_related("session__clinic", "session__patient")
            .get(pk=note.pk)
        )
        _same_clinic(actor, locked.session)
        if locked.is_signed:
            msg = "This note is already signed: add an addendum instead."
            raise DosingError(msg)
        if locked.author_id != actor.user.pk:
            msg = "Only its author signs a note."
            raise DosingError(msg)
        _role(actor, locked.author_role)
        body = _text(locked.text if text is None else text, "note")
        locked.text = body
        locked.signed_at = now
        locked.updated_at = now
        locked.text_sha256 = _sha256(body)
        locked.save(update_fields=["text", "signed_at", "updated_at", "text_sha256"])
        record(
            actor=actor,
            action=DosingAuditAction.NOTE_SIGNED,
            session=locked.session,
            detail={"note": str(locked.public_id), "sha256": locked.text_sha256},
        )
    return locked


def add_addendum(
    *,
    actor: Actor,
    note: SessionNote,
    text: str,
    now: datetime,
    role: NoteAuthorRole | str | None = None,
) -> NoteAddendum:
    """Add a signed addendum to a signed note: who, when and what, never changed after."""
    as_role = _role(actor, role)
    body = _text(text, "addendum")
    with transaction.atomic():
        locked = (
            SessionNote.objects.select_for_update()
            .select_related("session__clinic", "session__patient")
            .get(pk=note.pk)
        )
        _same_clinic(actor, locked.session)
        if not locked.is_signed:
            msg = "Sign the note first; until then its author changes the draft itself."
            raise DosingError(msg)
        addendum = NoteAddendum.objects.create(
            note=locked,
            author=actor.user,
            author_role=as_role.value,
            text=body,
            signed_at=now,
            text_sha256=_sha256(body),
        )
        record(
            actor=actor,
            action=DosingAuditAction.NOTE_ADDENDUM_SIGNED,
            session=locked.session,
            operation=Operation.CREATE,
            detail={
                "note": str(locked.public_id),
                "addendum": str(addendum.public_id),
                "sha256": addendum.text_sha256,
            },
        )
    return addendum


def clean_confirmation(number: str | None) -> str:
    """The REMS confirmation number as typed, trimmed; refused when it cannot be one."""
    value = visible_text(number or "")
    if not value:
        msg = "Type the confirmation number the REMS gave for this form."
        raise DosingError(msg)
    if not CONFIRMATION.match(value):
        msg = (
            "A confirmation number is 1 to 40 letters and digits (spaces, dots, slashes and "
            "dashes between them); check what the REMS showed."
        )
        raise DosingError(msg)
    return value


def mark_rems_form_submitted(
    *,
    actor: Actor,
    session: DosingSession,
    confirmation_number: str,
    submitted_on: date,
    now: datetime,
) -> RemsFormSubmission:
    """R-REMS-5: record that the session's Patient Monitoring Form was submitted to the REMS,
    with the content kapclinic assembled for it and whether it was on time (7 calendar
    days, §U.1)."""
    if not actor.can(Capability.TRACK_REMS_FORMS):
        msg = "Only a prescriber or the clinic's admin marks a REMS form submitted."
        raise DosingError(msg)
    _same_clinic(actor, session)
    number = clean_confirmation(confirmation_number)
    if session.drug != Drug.ESKETAMINE or session.dosed_at is None:
        msg = "A REMS form is due only for an esketamine session in which a dose was given."
        raise DosingError(msg)
    if session.current not in MONITORING_ENDED:
        msg = "Monitoring has not ended: the form is submitted once the patient may leave."
        raise DosingError(msg)
    day = session_day(session)
    today = now.astimezone(session.clinic.tzinfo).date()
    if submitted_on < day or submitted_on > today:
        msg = f"The day it was submitted is between {day:%Y-%m-%d} (the session) and today."
        raise DosingError(msg)
    form = assemble_monitoring_form(session)
    content, digest = snapshot(form)
    with transaction.atomic():
        locked = DosingSession.objects.select_for_update().get(pk=session.pk)
        if RemsFormSubmission.objects.filter(session=locked).exists():
            msg = "This form is already marked submitted."
            raise DosingError(msg)
        submission = RemsFormSubmission.objects.create(
            session=locked,
            submitted_by=actor.user,
            submitted_on=submitted_on,
            due_on=rems_form.due_on(day),
            recorded_at=now,
            confirmation_number=number,
            content=content,
            content_sha256=digest,
        )
        record(
            actor=actor,
            action=DosingAuditAction.REMS_FORM_SUBMITTED,
            session=session,
            operation=Operation.CREATE,
            detail={
                "submission": str(submission.public_id),
                "on_time": submission.on_time,
                "sha256": digest,
            },
        )
    return submission
