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
    # Preparation, set and setting (issue 15.2; R-INT-3, R-INT-8).
    PREPARATION_NOTE_WRITTEN = "dosing.preparation_note_written", "Preparation note written"
    ROOM_CHECKED = "dosing.room_checked", "Treatment room checked before the session"
    SETTING_RECORDED = "dosing.setting_recorded", "Setting of the session recorded"
    PATIENT_INTENTION_WRITTEN = (
        "dosing.patient_intention_written",
        "Patient wrote their intention in the portal",
    )
    PLAYLIST_VERSION_ADDED = "dosing.playlist_version_added", "Playlist version added"
    PLAYLIST_RETIRED = "dosing.playlist_retired", "Playlist retired"
    PREPARATION_READ = "dosing.preparation_read", "Session preparation read"
