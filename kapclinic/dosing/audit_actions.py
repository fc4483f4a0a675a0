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
    CHECK_RECORDED = "dosing.check_recorded", "Pre-dose check recorded"
    CHECK_OVERRIDDEN = "dosing.check_overridden", "Pre-dose check overridden by a prescriber"
    # Session notes and the REMS Patient Monitoring Form (issue 15.8).
    NOTE_DRAFTED = "dosing.note_drafted", "Session note drafted or its draft changed"
    NOTE_SIGNED = "dosing.note_signed", "Session note signed and locked"
    NOTE_ADDENDUM_SIGNED = "dosing.note_addendum_signed", "Addendum to a signed session note"
    NOTES_VIEWED = "dosing.notes_viewed", "Session notes viewed"
    REMS_FORM_VIEWED = "dosing.rems_form_viewed", "REMS Patient Monitoring Form viewed"
    REMS_FORM_SUBMITTED = "dosing.rems_form_submitted", "REMS Patient Monitoring Form submitted"
    REMS_FORMS_LISTED = "dosing.rems_forms_listed", "REMS forms due listed"
    STABILITY_ATTESTED = "dosing.stability_attested", "Clinical stability attested (R-REMS-4)"
    SESSION_VIEWED = "dosing.session_viewed", "Dosing session viewed"
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
    ADVERSE_EVENT_RECORDED = "dosing.adverse_event_recorded", "Adverse event recorded"
