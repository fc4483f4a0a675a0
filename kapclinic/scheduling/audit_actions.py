"""The audit actions scheduling writes.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class SchedulingAuditAction(AuditAction):
    PROTOCOL_PUBLISHED = "scheduling.protocol_published", "Protocol version published"
    PROTOCOL_RETIRED = "scheduling.protocol_retired", "Protocol retired"
    # Calendar feeds and reminders (issue 13.6, 13.7).
    FEED_ISSUED = "scheduling.feed_issued", "Calendar feed issued"
    FEED_REVOKED = "scheduling.feed_revoked", "Calendar feed revoked"
    REMINDER_HOURS_CHANGED = "scheduling.reminder_hours_changed", "Reminder lead times changed"
    REMINDER_SENT = "scheduling.reminder_sent", "Appointment reminder sent"
    COURSE_PLANNER_OPENED = "scheduling.course_planner_opened", "Course planner opened"
