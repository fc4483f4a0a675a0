"""Dosing's models, split by concern; every model is importable from here."""

from kapclinic.dosing.models.monitoring import SessionAlert, VitalsSet
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
    "DosingSession",
    "PatientIntention",
    "Playlist",
    "PlaylistVersion",
    "PreparationNote",
    "RoomCheck",
    "SessionAlert",
    "SessionMove",
    "SettingRecord",
    "VitalsSet",
]
