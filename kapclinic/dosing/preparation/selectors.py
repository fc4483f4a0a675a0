"""Reads of preparation, set and setting (issue 15.2) and of the playlist library, each scoped
to a clinic or a patient, each in a fixed number of queries whatever the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Room, User
from kapclinic.accounts.permissions import Capability
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
from kapclinic.dosing.models.setting import EyeMask, TouchConsent
from kapclinic.dosing.rules.setting import PreparationFacts, preparation_gaps
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import PatientAccess, access_patient
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import SessionKind

# "Sessions to prepare": a clinician's dosing sessions from now to this many days ahead.
PREPARE_AHEAD: Final = timedelta(days=7)

_SESSION_RELATED: Final = (
    "clinic",
    "patient",
    "appointment__room",
    "appointment__therapist",
    "appointment__nurse",
    "appointment__patient_intention",
    "preparation_note__preferred_playlist",
    "preparation_note__written_by",
    "room_check__checked_by",
    "setting_record__room",
    "setting_record__playlist_version",
    "setting_record__recorded_by",
)


@dataclass(frozen=True)
class SessionAccess:
    session: DosingSession
    access: PatientAccess


def access_session(
    *,
    actor: Actor,
    public_id: UUID,
    capability: Capability,
    action: DosingAuditAction | None,
) -> SessionAccess:
    """The session with its appointment, preparation, room check and setting (one query), if
    ``actor`` may use ``capability`` on its patient; Http404 otherwise, also for another
    clinic's session. The read is audited as ``action`` (``access_patient``)."""
    session = (
        DosingSession.objects.select_related(*_SESSION_RELATED).filter(public_id=public_id).first()
    )
    if session is None:
        raise Http404
    access = access_patient(
        actor=actor, public_id=session.patient.public_id, capability=capability, action=action
    )
    if access.break_glass is not None:
        raise Http404  # emergency access reads the chart only
    return SessionAccess(session=session, access=access)


def access_dosing_appointment(
    *, actor: Actor, public_id: UUID, capability: Capability, action: DosingAuditAction | None
) -> tuple[Appointment, DosingSession | None, PatientAccess]:
    """A live dosing appointment of a patient ``actor`` may prepare, with its session if one
    was opened (Http404 otherwise)."""
    appointment = (
        Appointment.objects.select_related("patient", "room", "clinic", "patient_intention")
        .filter(public_id=public_id, kind=SessionKind.DOSING)
        .exclude(status=Appointment.Status.CANCELLED)
        .first()
    )
    if appointment is None:
        raise Http404
    access = access_patient(
        actor=actor, public_id=appointment.patient.public_id, capability=capability, action=action
    )
    if access.break_glass is not None:
        raise Http404
    session = DosingSession.objects.filter(appointment=appointment).first()
    return appointment, session, access


def patient_intention_of(session: DosingSession) -> PatientIntention | None:
    """The patient's own intention for the session (loaded with ``access_session``)."""
    try:
        return session.appointment.patient_intention
    except PatientIntention.DoesNotExist:
        return None


def note_of(session: DosingSession) -> PreparationNote | None:
    try:
        return session.preparation_note
    except PreparationNote.DoesNotExist:
        return None


def room_check_of(session: DosingSession) -> RoomCheck | None:
    try:
        return session.room_check
    except RoomCheck.DoesNotExist:
        return None


def setting_of(session: DosingSession) -> SettingRecord | None:
    try:
        return session.setting_record
    except SettingRecord.DoesNotExist:
        return None


def gaps_of(session: DosingSession) -> list[str]:
    """R-INT-3: what the preparation lacks, in words (soft warnings: none blocks dosing)."""
    note = note_of(session)
    check = room_check_of(session)
    own = patient_intention_of(session)
    return preparation_gaps(
        PreparationFacts(
            note_written=note is not None,
            intention=note.intention if note else "",
            patient_intention=own.text if own else "",
            expectations=note.expectations if note else "",
            touch_consent_asked=note is not None and note.touch_consent != TouchConsent.NOT_ASKED,
            music_chosen=note is not None
            and (note.preferred_playlist_id is not None or bool(note.music_preference.strip())),
            eye_mask_chosen=note is not None and note.eye_mask != EyeMask.UNDECIDED,
            support_person=note.support_person if note else "",
            room_checked=check is not None,
            room_ready=check is not None and check.ready,
        )
    )


# --- playlists ---------------------------------------------------------------------------------


def current_versions(clinic: Clinic, *, in_use_only: bool = True) -> list[PlaylistVersion]:
    """The latest version of each of the clinic's playlists (in use only, by default), by
    name: one query."""
    rows = PlaylistVersion.objects.select_related("playlist").filter(
        playlist__clinic=clinic, number=F("playlist__latest_number")
    )
    if in_use_only:
        rows = rows.filter(playlist__retired_at__isnull=True)
    return list(rows.order_by("name", "id"))


def playlist_of(clinic: Clinic, public_id: UUID) -> Playlist:
    playlist = Playlist.objects.filter(clinic=clinic, public_id=public_id).first()
    if playlist is None:
        raise Http404
    return playlist


def versions_of(playlist: Playlist) -> list[PlaylistVersion]:
    """Every version of ``playlist``, newest first, with who made it: one query."""
    return list(playlist.versions.select_related("created_by").order_by("-number"))


def playlist_in_use(clinic: Clinic, public_id: str) -> Playlist | None:
    if not public_id:
        return None
    return Playlist.objects.filter(
        clinic=clinic, public_id=public_id, retired_at__isnull=True
    ).first()


def playlist_version_of(clinic: Clinic, public_id: str) -> PlaylistVersion | None:
    if not public_id:
        return None
    return (
        PlaylistVersion.objects.select_related("playlist")
        .filter(playlist__clinic=clinic, public_id=public_id)
        .first()
    )


def treatment_rooms(clinic: Clinic) -> list[Room]:
    return list(
        Room.objects.filter(clinic=clinic, kind=Room.Kind.TREATMENT, is_active=True).order_by(
            "name"
        )
    )


def room_of(clinic: Clinic, public_id: str) -> Room | None:
    return Room.objects.filter(clinic=clinic, public_id=public_id).first() if public_id else None


# --- the clinician's to-do and the patient's portal ----------------------------------------------


def sessions_to_prepare(clinic: Clinic, now: datetime, user: User) -> QuerySet[Appointment]:
    """The live dosing appointments ``user`` runs (as its therapist or nurse, or as the
    patient's care therapist when the appointment names no therapist) from an hour ago to
    ``PREPARE_AHEAD`` on, whose session has no preparation note or no room check yet,
    soonest first (each with ``has_note`` and ``has_room_check``)."""
    sessions = DosingSession.objects.filter(appointment=OuterRef("pk"))
    return (
        Appointment.objects.filter(
            clinic=clinic,
            kind=SessionKind.DOSING,
            status=Appointment.Status.BOOKED,
            starts_at__gte=now - timedelta(hours=1),
            starts_at__lt=now + PREPARE_AHEAD,
        )
        .filter(
            Q(therapist=user)
            | Q(nurse=user)
            | Q(therapist__isnull=True, patient__care_therapist=user)
        )
        .annotate(
            has_note=Exists(sessions.filter(preparation_note__isnull=False)),
            has_room_check=Exists(sessions.filter(room_check__isnull=False)),
        )
        .filter(Q(has_note=False) | Q(has_room_check=False))
        .select_related("patient", "room", "clinic")
        .order_by("starts_at", "id")
    )


def coming_dosing_sessions(patient: Patient, now: datetime) -> list[Appointment]:
    """The patient's booked dosing sessions still to come, with their intention: one query."""
    return list(
        Appointment.objects.filter(
            patient=patient,
            kind=SessionKind.DOSING,
            status=Appointment.Status.BOOKED,
            starts_at__gt=now,
        )
        .select_related("clinic", "patient_intention")
        .order_by("starts_at")[:10]
    )


def own_coming_dosing_session(patient: Patient, public_id: UUID, now: datetime) -> Appointment:
    """One of the patient's own coming dosing sessions (Http404 for anything else)."""
    appointment = (
        Appointment.objects.select_related("clinic", "patient_intention")
        .filter(
            patient=patient,
            public_id=public_id,
            kind=SessionKind.DOSING,
            status=Appointment.Status.BOOKED,
            starts_at__gt=now,
        )
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def intention_of(appointment: Appointment) -> PatientIntention | None:
    try:
        return appointment.patient_intention
    except PatientIntention.DoesNotExist:
        return None


def playlist_name(playlist: Playlist | None) -> str:
    """A playlist's name and style as its latest version has them ("" for none): one query."""
    if playlist is None:
        return ""
    version = (
        PlaylistVersion.objects.filter(playlist=playlist, number=playlist.latest_number)
        .values_list("name", "style")
        .first()
    )
    return f"{version[0]} ({version[1]})" if version else ""
