"""The audit actions dosing writes.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class DosingAuditAction(AuditAction):
    SESSION_OPENED = "dosing.session_opened", "Dosing session opened"
    SESSION_MOVED = "dosing.session_moved", "Dosing session moved to a new state"
    VITALS_RECORDED = "dosing.vitals_recorded", "Vital signs recorded"
    ALERT_RAISED = "dosing.alert_raised", "Session alert raised"
    ALERT_ACKNOWLEDGED = "dosing.alert_acknowledged", "Session alert acknowledged"
    DOSE_RECORDED = "dosing.dose_recorded", "Dose administered and recorded"
    ADVERSE_EVENT_RECORDED = "dosing.adverse_event_recorded", "Adverse event recorded"
