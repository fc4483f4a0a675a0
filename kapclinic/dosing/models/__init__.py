"""Dosing's models, split by concern; every model is importable from here."""

from kapclinic.dosing.models.checklist import CheckAnswer, CheckOverride
from kapclinic.dosing.models.discharge import DischargeSummary
from kapclinic.dosing.models.monitoring import AdverseEvent, SessionAlert, VitalsSet
from kapclinic.dosing.models.notes import (
    NoteAddendum,
    NoteAuthorRole,
    RemsFormSubmission,
    SessionNote,
    SignedRecordError,
)
from kapclinic.dosing.models.sessions import Administration, DosingSession, SessionMove
from kapclinic.dosing.models.setting import (
    PatientIntention,
    Playlist,
    PlaylistVersion,
    PreparationNote,
    RoomCheck,
    SettingRecord,
)

__all__ = [
    "Administration",
    "AdverseEvent",
    "CheckAnswer",
    "CheckOverride",
    "DischargeSummary",
    "DosingSession",
    "NoteAddendum",
    "NoteAuthorRole",
    "PatientIntention",
    "Playlist",
    "PlaylistVersion",
    "PreparationNote",
    "RemsFormSubmission",
    "RoomCheck",
    "SessionAlert",
    "SessionMove",
    "SessionNote",
    "SettingRecord",
    "SignedRecordError",
    "VitalsSet",
]
