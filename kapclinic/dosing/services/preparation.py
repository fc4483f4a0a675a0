"""Preparation, set and setting of a session (issue 15.2): the preparation note (R-INT-3), the
room check before the patient arrives, the setting actually used (R-INT-8), and the patient's
own intention written in the portal. The one writer of each; every write is audited (the field
names that changed, never their text)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Room
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import (
    DosingSession,
    PatientIntention,
    Playlist,
    PlaylistVersion,
    PreparationNote,
    RoomCheck,
    SettingRecord,
)
from kapclinic.dosing.models.setting import Audio, EyeMask, TouchConsent
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services.recording import record
from kapclinic.dosing.services.sessions import DosingError
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import SessionKind

MAX_TEXT: Final = 4000  # an intention, the expectations discussed
MAX_PATIENT_INTENTION: Final = 2000
# The room is checked before the patient arrives, so before the dose at the latest.
ROOM_CHECK_STATES: Final = frozenset(
    {State.BOOKED, State.CHECKED_IN, State.CHECKS_PASSED, State.HELD}
)
# The setting actually used is recorded once the patient is there, until the record closes.
SETTING_CLOSED_STATES: Final = frozenset({State.BOOKED, State.ENTERED_IN_ERROR})
NOTE_CLOSED_STATES: Final = frozenset({State.ENTERED_IN_ERROR})


class PreparationError(DosingError):
    """A refusal with the form field it is about ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _may_prepare(actor: Actor, session: DosingSession) -> None:
    if actor.clinic is None or actor.clinic.pk != session.clinic_id:
        msg = "That session is not in your clinic."
        raise PreparationError(msg)
    if not actor.can(Capability.PREPARE_SESSIONS):
        msg = "Only the clinicians who run the session prepare it."
        raise PreparationError(msg)


def _text(value: str, field: str, limit: int, what: str) -> str:
    text = value.strip()
    if len(text) > limit:
        msg = f"{what} is {len(text)} characters long: at most {limit}. Shorten it."
        raise PreparationError(msg, field)
    return text


def _choice(
    value: str, choices: type[TouchConsent] | type[EyeMask] | type[Audio], field: str
) -> str:
    if value not in choices.values:
        msg = "Choose one of the options."
        raise PreparationError(msg, field)
    return value


def _changed(row: object, values: dict[str, object]) -> list[str]:
    return sorted(name for name, value in values.items() if getattr(row, name) != value)


def write_preparation_note(
    *,
    actor: Actor,
    session: DosingSession,
    intention: str,
    expectations: str,
    touch_consent: str,
    preferred_playlist: Playlist | None,
    music_preference: str,
    eye_mask: str,
    support_person: str,
    now: datetime,
) -> PreparationNote:
    """R-INT-3: write (or rewrite) the session's preparation note. Every item may stay empty
    for now (the page lists what is missing); a missing intention never blocks dosing."""
    _may_prepare(actor, session)
    if State(session.state) in NOTE_CLOSED_STATES:
        msg = "This session was entered in error: its preparation is closed."
        raise PreparationError(msg)
    if preferred_playlist is not None and (
        preferred_playlist.clinic_id != session.clinic_id or preferred_playlist.retired_at
    ):
        msg = "Choose one of the clinic's playlists in use."
        raise PreparationError(msg, "preferred_playlist")
    values: dict[str, object] = {
        "intention": _text(intention, "intention", MAX_TEXT, "The intention"),
        "expectations": _text(expectations, "expectations", MAX_TEXT, "The expectations"),
        "touch_consent": _choice(touch_consent, TouchConsent, "touch_consent"),
        "preferred_playlist_id": preferred_playlist.pk if preferred_playlist else None,
        "music_preference": _text(
            music_preference, "music_preference", 300, "The music preference"
        ),
        "eye_mask": _choice(eye_mask, EyeMask, "eye_mask"),
        "support_person": _text(support_person, "support_person", 200, "The support person"),
    }
    with transaction.atomic():
        note = PreparationNote.objects.select_for_update().filter(session=session).first()
        created = note is None
        if note is None:
            note = PreparationNote(session=session, written_by=actor.user)
        changed = _changed(note, values) if not created else sorted(values)
        for name, value in values.items():
            setattr(note, name, value)
        note.written_by = actor.user
        note.save()
        record(
            actor=actor,
            action=DosingAuditAction.PREPARATION_NOTE_WRITTEN,
            session=session,
            operation=Operation.CREATE if created else Operation.UPDATE,
            detail={"fields": [name.removesuffix("_id") for name in changed]},
        )
    return note


def record_room_check(
    *,
    actor: Actor,
    session: DosingSession,
    items: dict[str, bool],
    notes: str,
    now: datetime,
) -> RoomCheck:
    """The treatment room as found before the patient arrives (recliner, eye mask, headphones,
    lighting, temperature, monitoring equipment working). Items not ready are recorded as such,
    and shown to the care team; the check is refused once the dose has started."""
    _may_prepare(actor, session)
    if State(session.state) not in ROOM_CHECK_STATES:
        msg = "The room is checked before the session starts: this one has started or ended."
        raise PreparationError(msg)
    known = {field for field, _label in RoomCheck.ITEMS}
    unknown = set(items) - known
    if unknown:
        msg = f"Unknown room item: {', '.join(sorted(unknown))}."
        raise PreparationError(msg)
    values: dict[str, object] = {field: bool(items.get(field, False)) for field in known}
    values["notes"] = _text(notes, "notes", 300, "The note")
    with transaction.atomic():
        check = RoomCheck.objects.select_for_update().filter(session=session).first()
        created = check is None
        if check is None:
            check = RoomCheck(session=session, checked_by=actor.user, checked_at=now)
        for name, value in values.items():
            setattr(check, name, value)
        check.checked_by = actor.user
        check.checked_at = now
        check.save()
        record(
            actor=actor,
            action=DosingAuditAction.ROOM_CHECKED,
            session=session,
            operation=Operation.CREATE if created else Operation.UPDATE,
            detail={"missing": [f for f, _l in RoomCheck.ITEMS if not values[f]]},
        )
    return check


def record_setting(
    *,
    actor: Actor,
    session: DosingSession,
    room: Room,
    playlist_version: PlaylistVersion | None,
    audio: str,
    eye_mask_used: bool,
    lighting: str,
    support_person_present: bool,
    present: str,
    now: datetime,
) -> SettingRecord:
    """R-INT-8: the setting actually used: the room, the playlist version played (none for no
    music), headphones or room speakers, the eye mask, the lighting in words, whether the
    support person was there and who else was present."""
    _may_prepare(actor, session)
    if State(session.state) in SETTING_CLOSED_STATES:
        msg = (
            "Record the setting once the patient is checked in."
            if session.state == State.BOOKED
            else "This session was entered in error: its setting is closed."
        )
        raise PreparationError(msg)
    if room.clinic_id != session.clinic_id or room.kind != Room.Kind.TREATMENT:
        msg = "Choose one of the clinic's treatment rooms."
        raise PreparationError(msg, "room")
    audio = _choice(audio, Audio, "audio")
    if audio == Audio.NONE and playlist_version is not None:
        msg = "No music was played: leave the playlist empty, or say how it was played."
        raise PreparationError(msg, "playlist_version")
    if audio != Audio.NONE and playlist_version is None:
        msg = "Choose the playlist played (or choose 'No music')."
        raise PreparationError(msg, "playlist_version")
    if playlist_version is not None and playlist_version.playlist.clinic_id != session.clinic_id:
        msg = "Choose one of the clinic's playlists."
        raise PreparationError(msg, "playlist_version")
    light = _text(lighting, "lighting", 200, "The lighting")
    if not light:
        msg = "Say how the room was lit (for example: lamp only, blinds down)."
        raise PreparationError(msg, "lighting")
    who = _text(present, "present", 300, "Who was present")
    if not who:
        msg = "Say who was in the room besides the patient."
        raise PreparationError(msg, "present")
    values: dict[str, object] = {
        "room_id": room.pk,
        "playlist_version_id": playlist_version.pk if playlist_version else None,
        "audio": audio,
        "eye_mask_used": eye_mask_used,
        "lighting": light,
        "support_person_present": support_person_present,
        "present": who,
    }
    with transaction.atomic():
        setting = SettingRecord.objects.select_for_update().filter(session=session).first()
        created = setting is None
        if setting is None:
            setting = SettingRecord(session=session, recorded_by=actor.user)
        changed = _changed(setting, values) if not created else sorted(values)
        for name, value in values.items():
            setattr(setting, name, value)
        setting.recorded_by = actor.user
        setting.save()
        record(
            actor=actor,
            action=DosingAuditAction.SETTING_RECORDED,
            session=session,
            operation=Operation.CREATE if created else Operation.UPDATE,
            detail={
                "fields": [name.removesuffix("_id") for name in changed],
                "playlist_version": str(playlist_version.public_id) if playlist_version else "",
            },
        )
    return setting


def write_patient_intention(
    *,
    actor: Actor,
    patient: Patient,
    appointment: Appointment,
    text: str,
    now: datetime,
) -> PatientIntention:
    """The patient's own intention for a coming dosing session, written in the portal (§12.5:
    lightly held; it may change until the session starts). The care team reads it with the
    preparation note."""
    if not actor.can(Capability.WRITE_OWN_INTENTION) or appointment.patient_id != patient.pk:
        msg = "Only the patient writes their own intention."
        raise PreparationError(msg)
    if appointment.kind != SessionKind.DOSING or appointment.status != Appointment.Status.BOOKED:
        msg = "This appointment is not a coming dosing session."
        raise PreparationError(msg)
    if appointment.starts_at <= now:
        msg = "This session has started: tell your care team your intention in person."
        raise PreparationError(msg)
    value = text.strip()
    if not value:
        msg = "Write your intention (a few words are enough)."
        raise PreparationError(msg, "text")
    if len(value) > MAX_PATIENT_INTENTION:
        msg = (
            f"Your intention is {len(value)} characters long: at most "
            f"{MAX_PATIENT_INTENTION}. Please shorten it."
        )
        raise PreparationError(msg, "text")
    with transaction.atomic():
        intention, created = PatientIntention.objects.select_for_update().get_or_create(
            appointment=appointment, defaults={"patient": patient, "text": value}
        )
        if not created:
            intention.text = value
            intention.save(update_fields=["text", "updated_at"])
        audit.record(
            actor=actor.user,
            operation=Operation.CREATE if created else Operation.UPDATE,
            action=DosingAuditAction.PATIENT_INTENTION_WRITTEN,
            actor_roles=actor.roles,
            clinic_id=appointment.clinic.public_id,
            patient_id=patient.public_id,
            target=audit.target_of(appointment),
        )
    return intention
