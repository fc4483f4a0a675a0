"""The preparation page of a dosing session (issue 15.2): the patient's own intention, the
preparation note (R-INT-3), the room check before the patient arrives and the setting actually
used (R-INT-8). Each section is its own htmx form: a save answers the section again (with its
errors, or saved) and the list of what is missing; without JavaScript, the whole page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import DosingSession, PlaylistVersion
from kapclinic.dosing.preparation import selectors
from kapclinic.dosing.preparation.forms import PreparationNoteForm, RoomCheckForm, SettingForm
from kapclinic.dosing.services.preparation import (
    PreparationError,
    record_room_check,
    record_setting,
    write_preparation_note,
)
from kapclinic.dosing.services.sessions import DosingError, open_session

_SECTIONS = {
    "note": "dosing/preparation/_note.html",
    "room": "dosing/preparation/_room.html",
    "setting": "dosing/preparation/_setting.html",
}


def _htmx(request: ClinicRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _versions(session: DosingSession) -> list[PlaylistVersion]:
    """The playlists offered for the setting: those in use, and the version already recorded."""
    versions = selectors.current_versions(session.clinic)
    record = selectors.setting_of(session)
    used = record.playlist_version if record is not None else None
    if used is not None and all(v.pk != used.pk for v in versions):
        versions.append(used)
    return versions


def _note_form(session: DosingSession, data: Any = None) -> PreparationNoteForm:
    note = selectors.note_of(session)
    initial = {}
    if note is not None:
        initial = {
            "intention": note.intention,
            "expectations": note.expectations,
            "touch_consent": note.touch_consent,
            "preferred_playlist": str(note.preferred_playlist.public_id)
            if note.preferred_playlist
            else "",
            "music_preference": note.music_preference,
            "eye_mask": note.eye_mask,
            "support_person": note.support_person,
        }
    return PreparationNoteForm(
        data, initial=initial, playlists=selectors.current_versions(session.clinic)
    )


def _room_form(session: DosingSession, data: Any = None) -> RoomCheckForm:
    check = selectors.room_check_of(session)
    initial: dict[str, Any] = {}
    if check is not None:
        initial = {name: getattr(check, name) for name, _label in check.ITEMS}
        initial["notes"] = check.notes
    return RoomCheckForm(data, initial=initial)


def _setting_form(session: DosingSession, data: Any = None) -> SettingForm:
    record = selectors.setting_of(session)
    note = selectors.note_of(session)
    if record is not None:
        initial = {
            "room": str(record.room.public_id),
            "audio": record.audio,
            "playlist_version": str(record.playlist_version.public_id)
            if record.playlist_version
            else "",
            "eye_mask_used": "yes" if record.eye_mask_used else "no",
            "lighting": record.lighting,
            "support_person_present": "yes" if record.support_person_present else "no",
            "present": record.present,
        }
    else:  # what was planned: the booked room, the eye mask the patient wanted
        initial = {
            "room": str(session.appointment.room.public_id),
            "eye_mask_used": "yes" if note is not None and note.eye_mask == "wants" else "",
        }
    return SettingForm(
        data,
        initial=initial,
        rooms=selectors.treatment_rooms(session.clinic),
        versions=_versions(session),
    )


def _context(session: DosingSession, **forms: Any) -> dict[str, Any]:
    return {
        "session": session,
        "appointment": session.appointment,
        "patient": session.patient,
        "own_intention": selectors.patient_intention_of(session),
        "note": selectors.note_of(session),
        "room_check": selectors.room_check_of(session),
        "setting": selectors.setting_of(session),
        "gaps": selectors.gaps_of(session),
        "note_form": forms.get("note_form") or _note_form(session),
        "room_form": forms.get("room_form") or _room_form(session),
        "setting_form": forms.get("setting_form") or _setting_form(session),
        "saved": forms.get("saved", ""),
    }


def _load(request: ClinicRequest, public_id: UUID, *, read: bool) -> tuple[DosingSession, Actor]:
    found = selectors.access_session(
        actor=request.actor,
        public_id=public_id,
        capability=Capability.PREPARE_SESSIONS,
        action=DosingAuditAction.PREPARATION_READ if read else None,
    )
    return found.session, found.access.actor


@never_cache
@require_GET
@requires(Capability.PREPARE_SESSIONS)
def preparation(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    session, _actor = _load(request, public_id, read=True)
    return render(request, "dosing/preparation/page.html", _context(session))


def _answer(
    request: ClinicRequest,
    public_id: UUID,
    section: str,
    form_key: str,
    form: Any,
    ok: bool,
    message: str,
) -> HttpResponse:
    session, _actor = _load(request, public_id, read=False)
    # Saved: the rows read again, with the forms rebuilt from them; else the form as typed.
    context = _context(session, saved=section) if ok else _context(session, **{form_key: form})
    if _htmx(request):
        # 200 either way: htmx swaps only successful answers, and the section carries its errors.
        return render(
            request,
            "dosing/preparation/_answer.html",
            {**context, "section": section, "section_template": _SECTIONS[section]},
        )
    if ok:
        messages.success(request, message)
        return redirect("dosing:preparation", public_id=public_id)
    return render(request, "dosing/preparation/page.html", context, status=422)


def _add(form: Any, error: PreparationError | DosingError) -> None:
    field = getattr(error, "field", "")
    form.add_error(field if field in form.fields else None, error.message)


@never_cache
@require_POST
@requires(Capability.PREPARE_SESSIONS)
def note(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    session, actor = _load(request, public_id, read=False)
    form = _note_form(session, request.POST)
    ok = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            write_preparation_note(
                actor=actor,
                session=session,
                intention=data["intention"],
                expectations=data["expectations"],
                touch_consent=data["touch_consent"],
                preferred_playlist=selectors.playlist_in_use(
                    session.clinic, data["preferred_playlist"]
                ),
                music_preference=data["music_preference"],
                eye_mask=data["eye_mask"],
                support_person=data["support_person"],
                now=timezone.now(),
            )
            ok = True
        except PreparationError as error:
            _add(form, error)
    return _answer(request, public_id, "note", "note_form", form, ok, "Preparation note saved.")


@never_cache
@require_POST
@requires(Capability.PREPARE_SESSIONS)
def room(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    session, actor = _load(request, public_id, read=False)
    form = _room_form(session, request.POST)
    ok = False
    if form.is_valid():
        try:
            record_room_check(
                actor=actor,
                session=session,
                items=form.items(),
                notes=form.cleaned_data["notes"],
                now=timezone.now(),
            )
            ok = True
        except PreparationError as error:
            _add(form, error)
    return _answer(request, public_id, "room", "room_form", form, ok, "Room check saved.")


@never_cache
@require_POST
@requires(Capability.PREPARE_SESSIONS)
def setting(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    session, actor = _load(request, public_id, read=False)
    form = _setting_form(session, request.POST)
    ok = False
    if form.is_valid():
        data = form.cleaned_data
        room_row = selectors.room_of(session.clinic, data["room"])
        version = selectors.playlist_version_of(session.clinic, data["playlist_version"])
        if room_row is None:
            form.add_error("room", "Choose one of the clinic's treatment rooms.")
        else:
            try:
                record_setting(
                    actor=actor,
                    session=session,
                    room=room_row,
                    playlist_version=version,
                    audio=data["audio"],
                    eye_mask_used=data["eye_mask_used"],
                    lighting=data["lighting"],
                    support_person_present=data["support_person_present"],
                    present=data["present"],
                    now=timezone.now(),
                )
                ok = True
            except PreparationError as error:
                _add(form, error)
    return _answer(request, public_id, "setting", "setting_form", form, ok, "Setting recorded.")


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.PREPARE_SESSIONS)
def prepare_appointment(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """From a dosing appointment (the clinician's to-do) to its session's preparation: opens the
    session (``open_session``, once per appointment) when asked, and goes to its page."""
    appointment, session, access = selectors.access_dosing_appointment(
        actor=request.actor,
        public_id=public_id,
        capability=Capability.PREPARE_SESSIONS,
        action=DosingAuditAction.PREPARATION_READ if request.method == "GET" else None,
    )
    if session is not None:
        return redirect("dosing:preparation", public_id=session.public_id)
    error = ""
    if request.method == "POST":
        try:
            session = open_session(actor=access.actor, appointment=appointment, now=timezone.now())
        except DosingError as refusal:
            error = refusal.message
        else:
            return redirect("dosing:preparation", public_id=session.public_id)
    return render(
        request,
        "dosing/preparation/open.html",
        {
            "appointment": appointment,
            "patient": appointment.patient,
            "own_intention": selectors.intention_of(appointment),
            "error": error,
        },
        status=422 if error else 200,
    )
