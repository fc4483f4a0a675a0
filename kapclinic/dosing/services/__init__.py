"""Dosing's writes: the session's one transition function, the pre-dose checklist, vitals and
alerts, the dose."""

from kapclinic.dosing.services.checklist import override_check, record_check
from kapclinic.dosing.services.doses import record_dose
from kapclinic.dosing.services.facts import checklist_of
from kapclinic.dosing.services.monitoring import (
    acknowledge_alert,
    record_adverse_event,
    record_vitals,
)
from kapclinic.dosing.services.sessions import (
    DosingError,
    SessionHeldError,
    attest_stable,
    check_in,
    move,
    open_session,
    record_escort,
)

__all__ = [
    "DosingError",
    "SessionHeldError",
    "acknowledge_alert",
    "attest_stable",
    "check_in",
    "checklist_of",
    "move",
    "open_session",
    "override_check",
    "record_adverse_event",
    "record_check",
    "record_dose",
    "record_escort",
    "record_vitals",
]
