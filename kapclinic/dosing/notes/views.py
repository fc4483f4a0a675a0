"""The session notes page, the REMS forms worklist and one REMS form (issue 15.8).

Pages answer htmx and plain forms alike: htmx swaps the notes panel in place (``hx-select``),
without JavaScript the browser posts and is sent back to the page. A refused input comes back
with its message and everything typed (422; 200 to htmx, which swaps only successful answers).
The notes panel (``dosing/panels/notes.html``) is built by ``notes_panel`` for any page that
shows a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import DosingSession, SessionNote
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.notes import selectors, services
from kapclinic.dosing.notes.forms import SIGN, AddendumForm, NoteForm, RemsSubmittedForm
from kapclinic.dosing.notes.rems import assemble_monitoring_form
from kapclinic.dosing.notes.selectors import SessionAccess
from kapclinic.dosing.services import DosingError
from kapclinic.patients.access import access_record

NOTES_PAGE = "dosing/notes/notes.html"
REMS_FORM_PAGE = "dosing/rems/form.html"


def _htmx(request: ClinicRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@dataclass(frozen=True)
class NotesPanel:
    """What ``dosing/panels/notes.html`` shows for one session and one reader."""

    session: DosingSession
    signed: list[tuple[SessionNote, AddendumForm]]  # each signed note with its addendum form
    others_drafting: list[SessionNote]
    draft: SessionNote | None
    form: NoteForm
    status: str = ""  # what was just done, read out by the panel's live region


def notes_panel(
    access: SessionAccess,
    *,
    form: NoteForm | None = None,
    failed_addendum: tuple[int, AddendumForm] | None = None,
    status: str = "",
) -> NotesPanel:
    """The panel's content for ``access.actor`` (two queries, whatever the notes hold)."""
    actor = access.actor
    roles = services.writing_roles(actor)
    notes = selectors.notes_of(access.session)
    draft = next((n for n in notes if not n.is_signed and n.author_id == actor.user.pk), None)
    signed = [n for n in notes if n.is_signed]
    if form is None:
        initial = {"text": draft.text, "role": draft.author_role} if draft else None
        form = NoteForm(initial=initial, roles=roles)
    failed = dict([failed_addendum]) if failed_addendum is not None else {}
    return NotesPanel(
        session=access.session,
        signed=[
            (n, failed.get(n.pk) or AddendumForm(roles=roles, prefix=f"add-{n.public_id}"))
            for n in signed
        ],
        others_drafting=[n for n in notes if not n.is_signed and n.author_id != actor.user.pk],
        draft=draft,
        form=form,
        status=status,
    )


def _access(request: ClinicRequest, session_id: UUID, action: DosingAuditAction) -> SessionAccess:
    return access_record(request, selectors.access_session, session_id, action=action)


def _notes_page(
    request: ClinicRequest, access: SessionAccess, panel: NotesPanel, status: int = 200
) -> HttpResponse:
    context = {"session": access.session, "patient": access.session.patient, "panel": panel}
    return render(request, NOTES_PAGE, context, status=200 if _htmx(request) else status)


@require_GET
@requires(Capability.WRITE_SESSION_NOTES)
def notes(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    access = _access(request, session_id, DosingAuditAction.NOTES_VIEWED)
    return _notes_page(request, access, notes_panel(access))


def _done(request: ClinicRequest, access: SessionAccess, message: str) -> HttpResponse:
    if _htmx(request):  # the panel's live region says it
        return _notes_page(request, access, notes_panel(access, status=message))
    messages.success(request, message)
    return redirect("dosing:notes", access.session.public_id)


@require_POST
@requires(Capability.WRITE_SESSION_NOTES)
def note_draft(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    """Save the author's draft, or sign it ("Sign and lock")."""
    access = _access(request, session_id, DosingAuditAction.NOTES_VIEWED)
    form = NoteForm(request.POST, roles=services.writing_roles(access.actor))
    if form.is_valid():
        now = timezone.now()
        try:
            draft = services.save_draft(
                actor=access.actor,
                session=access.session,
                text=form.cleaned_data["text"],
                role=form.cleaned_data.get("role"),
                now=now,
            )
            if request.POST.get("action") == SIGN:
                services.sign_note(actor=access.actor, note=draft, now=now)
                return _done(
                    request, access, "Note signed. It is locked: add an addendum to change it."
                )
        except DosingError as error:
            form.add_error(None, error.message)
        else:
            return _done(request, access, "Draft saved. Only you see it until you sign it.")
    return _notes_page(request, access, notes_panel(access, form=form), status=422)


@require_POST
@requires(Capability.WRITE_SESSION_NOTES)
def note_addendum(request: ClinicRequest, session_id: UUID, note_id: UUID) -> HttpResponse:
    access = _access(request, session_id, DosingAuditAction.NOTES_VIEWED)
    note = selectors.note_of(access.session, note_id)
    form = AddendumForm(
        request.POST, roles=services.writing_roles(access.actor), prefix=f"add-{note.public_id}"
    )
    if form.is_valid():
        try:
            services.add_addendum(
                actor=access.actor,
                note=note,
                text=form.cleaned_data["text"],
                role=form.cleaned_data.get("role"),
                now=timezone.now(),
            )
        except DosingError as error:
            form.add_error(None, error.message)
        else:
            return _done(request, access, "Addendum signed and added to the note.")
    panel = notes_panel(access, failed_addendum=(note.pk, form))
    return _notes_page(request, access, panel, status=422)


# --- the REMS Patient Monitoring Form (R-REMS-5) ---------------------------------------------


@require_GET
@requires(Capability.TRACK_REMS_FORMS)
def rems_forms(request: ClinicRequest) -> HttpResponse:
    worklist = selectors.rems_worklist(actor=request.actor, now=timezone.now())
    return render(request, "dosing/rems/worklist.html", {"worklist": worklist})


@require_http_methods(["GET", "POST"])
@requires(Capability.TRACK_REMS_FORMS)
def rems_form(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    """One session's form, printable, with "mark submitted" until it is."""
    now = timezone.now()
    access = _access(request, session_id, DosingAuditAction.REMS_FORM_VIEWED)
    session = access.session
    if session.drug != Drug.ESKETAMINE:
        raise Http404  # R-REMS-5: only esketamine sessions have a form
    today = now.astimezone(session.clinic.tzinfo).date()
    form = RemsSubmittedForm(request.POST or None, initial={"submitted_on": today})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.mark_rems_form_submitted(
                    actor=access.actor,
                    session=session,
                    confirmation_number=form.cleaned_data["confirmation_number"],
                    submitted_on=form.cleaned_data["submitted_on"],
                    now=now,
                )
            except DosingError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "The form is marked submitted to the REMS.")
                return redirect(reverse("dosing:rems_form", args=[session.public_id]))
        status = 422
    row = selectors.rems_form_row(selectors.with_submission(session), today)
    context = {
        "session": session,
        "patient": session.patient,
        "row": row,
        "pmf": assemble_monitoring_form(session),
        "form": form,
        "can_read_notes": access.actor.can(Capability.WRITE_SESSION_NOTES),
    }
    return render(request, REMS_FORM_PAGE, context, status=status)
