"""Dosing's models, split by concern; every model is importable from here."""

from kapclinic.dosing.models.checklist import CheckAnswer, CheckOverride
from kapclinic.dosing.models.discharge import DischargeSummary
from kapclinic.dosing.models.monitoring import SessionAlert, VitalsSet
from kapclinic.dosing.models.notes import (
    NoteAddendum,
    NoteAuthorRole,
    RemsFormSubmission,
    SessionNote,
    SignedRecordError,
)
from kapclinic.dosing.models.sessions import Administration, DosingSession, SessionMove

__all__ = [
    "Administration",
    "CheckAnswer",
    "CheckOverride",
    "DischargeSummary",
    "DosingSession",
    "NoteAddendum",
    "NoteAuthorRole",
    "RemsFormSubmission",
    "SessionAlert",
    "SessionMove",
    "SessionNote",
    "SignedRecordError",
    "VitalsSet",
]
