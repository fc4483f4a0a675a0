"""Dosing's models, split by concern; every model is importable from here."""

from kapclinic.dosing.models.discharge import DischargeSummary
from kapclinic.dosing.models.monitoring import SessionAlert, VitalsSet
from kapclinic.dosing.models.sessions import Administration, DosingSession, SessionMove

__all__ = [
    "Administration",
    "DischargeSummary",
    "DosingSession",
    "SessionAlert",
    "SessionMove",
    "VitalsSet",
]
