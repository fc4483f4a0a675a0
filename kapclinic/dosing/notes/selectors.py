"""Reads of session notes and of the REMS forms due (issue 15.8): scoped to the actor's clinic,
one 404 for a session that is missing or not theirs, audited where they show a patient's record.

Query counts do not grow with the data: the notes of a session are two queries (notes with
their authors, addenda with theirs); the worklist of forms due is one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import DosingSession, NoteAddendum, RemsFormSubmission, SessionNote
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.notes.rems import session_day
from kapclinic.dosing.rules import rems_form
from kapclinic.dosing.rules.rems_form import RemsFormStatus
from kapclinic.dosing.rules.workflow import State
from kapclinic.patients.selectors import PatientAccess, access_patient

# The worklist also shows the forms submitted in the last weeks, for the record.
SUBMITTED_SHOWN_DAYS = 30


@dataclass(frozen=True)
class SessionAccess:
    session: DosingSession
    access: PatientAccess

    @property
    def actor(self) -> Actor:
        """The actor with the roles held in the session's clinic."""
        return self.access.actor


def access_session(
    *, actor: Actor, public_id: UUID, capability: Capability, action: DosingAuditAction
) -> SessionAccess:
    """The dosing session ``public_id`` if ``actor`` may use ``capability`` on its patient;
    Http404 otherwise (another clinic's session too). Audits the read named ``action``."""
    session = (
        DosingSession.objects.select_related("patient__clinic", "clinic", "appointment")
        .filter(public_id=public_id)
        .first()
    )
    if session is None:
        raise Http404
    access = access_patient(
        actor=actor, public_id=session.patient.public_id, capability=capability, action=action
    )
    if access.break_glass is not None or session.clinic_id != access.patient.clinic_id:
        raise Http404  # emergency access reads the chart only
    return SessionAccess(session=session, access=access)


def notes_of(session: DosingSession) -> list[SessionNote]:
    """The session's notes, oldest first, each with its author and its addenda (two queries)."""
    addenda = NoteAddendum.objects.select_related("author").order_by("signed_at", "id")
    return list(
        SessionNote.objects.filter(session=session)
        .select_related("author")
        .prefetch_related(Prefetch("addenda", queryset=addenda))
        .order_by("created_at", "id")
    )


def note_of(session: DosingSession, public_id: UUID) -> SessionNote:
    """A note of ``session`` (404 for another session's)."""
    note = SessionNote.objects.filter(session=session, public_id=public_id).first()
    if note is None:
        raise Http404
    return note


# --- the REMS Patient Monitoring Form (R-REMS-5) ----------------------------------------------


@dataclass(frozen=True)
class RemsFormRow:
    """One esketamine session's form on the worklist."""

    session: DosingSession
    session_day: date
    due_on: date
    status: RemsFormStatus
    days_left: int
    submission: RemsFormSubmission | None

    @property
    def overdue(self) -> bool:
        return self.status == RemsFormStatus.OVERDUE

    @property
    def due_today(self) -> bool:
        return self.status == RemsFormStatus.DUE_TODAY

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def rems_form_row(session: DosingSession, today: date) -> RemsFormRow:
    """Where one session's form stands on ``today`` (the clinic's date). No query when the
    session was loaded with its patient, clinic and submission."""
    day = session_day(session)
    submission: RemsFormSubmission | None = getattr(session, "rems_submission", None)
    due = submission.due_on if submission is not None else rems_form.due_on(day)
    return RemsFormRow(
        session=session,
        session_day=day,
        due_on=due,
        status=rems_form.status(due, today, submission.submitted_on if submission else None),
        days_left=rems_form.days_left(due, today),
        submission=submission,
    )


def _esketamine_sessions(clinic: Clinic) -> QuerySet[DosingSession]:
    """R-REMS-5: every esketamine session of the clinic in which a dose was given (an
    outpatient setting's form is due for each), not one entered in error."""
    return (
        DosingSession.objects.filter(clinic=clinic, drug=Drug.ESKETAMINE, dosed_at__isnull=False)
        .exclude(state=State.ENTERED_IN_ERROR.value)
        .select_related("patient", "clinic")
    )


def rems_forms_due(clinic: Clinic) -> QuerySet[DosingSession]:
    """The sessions whose Patient Monitoring Form is not marked submitted, the oldest (the
    most overdue) first: the worklist and the Today list (one query)."""
    return (
        _esketamine_sessions(clinic)
        .filter(rems_submission__isnull=True)
        .select_related("rems_submission")
        .order_by("dosed_at", "id")
    )


def rems_forms_submitted(clinic: Clinic, now: datetime) -> QuerySet[DosingSession]:
    """The forms marked submitted in the last ``SUBMITTED_SHOWN_DAYS`` days, newest first."""
    since = now - timedelta(days=SUBMITTED_SHOWN_DAYS)
    return (
        _esketamine_sessions(clinic)
        .filter(rems_submission__recorded_at__gte=since)
        .select_related("rems_submission__submitted_by")
        .order_by("-rems_submission__recorded_at", "-id")
    )


def with_submission(session: DosingSession) -> DosingSession:
    """``session`` again with its submission (and who made it) loaded, or none (one query)."""
    return DosingSession.objects.select_related(
        "patient", "clinic", "rems_submission__submitted_by"
    ).get(pk=session.pk)


@dataclass(frozen=True)
class RemsWorklist:
    due: list[RemsFormRow]
    submitted: list[RemsFormRow]


def rems_worklist(*, actor: Actor, now: datetime) -> RemsWorklist:
    """The clinic's forms due and overdue, and those submitted lately (two queries, whatever
    the number of sessions); the listing of patients is audited."""
    clinic = actor.current_clinic
    today = now.astimezone(clinic.tzinfo).date()
    due = [rems_form_row(s, today) for s in rems_forms_due(clinic)]
    submitted = [rems_form_row(s, today) for s in rems_forms_submitted(clinic, now)]
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.READ,
            action=DosingAuditAction.REMS_FORMS_LISTED,
            actor_roles=actor.roles,
            clinic_id=clinic.public_id,
            detail={"due": len(due), "submitted": len(submitted)},
        )
    return RemsWorklist(due=due, submitted=submitted)
