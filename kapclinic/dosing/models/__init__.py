"""Dosing's models, split by concern; every model is importable from here."""

from kapclinic.dosing.models.monitoring import AdverseEvent, SessionAlert, VitalsSet
from kapclinic.dosing.models.sessions import Administration, DosingSession, SessionMove

__all__ = [
    "Administration",
    "AdverseEvent",
    "DosingSession",
    "SessionAlert",
    "SessionMove",
    "VitalsSet",
]
