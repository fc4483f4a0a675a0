"""Dosing's writes: the session's one transition function, vitals and alerts, the dose."""

from kapclinic.dosing.services.doses import record_dose
from kapclinic.dosing.services.monitoring import (
    acknowledge_alert,
    record_adverse_event,
    record_vitals,
)
from kapclinic.dosing.services.sessions import DosingError, move, open_session, record_escort

__all__ = [
    "DosingError",
    "acknowledge_alert",
    "move",
    "open_session",
    "record_adverse_event",
    "record_dose",
    "record_escort",
    "record_vitals",
]
