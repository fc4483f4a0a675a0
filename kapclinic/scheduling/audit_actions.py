"""The audit actions scheduling writes.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class SchedulingAuditAction(AuditAction):
    PROTOCOL_PUBLISHED = "scheduling.protocol_published", "Protocol version published"
    PROTOCOL_RETIRED = "scheduling.protocol_retired", "Protocol retired"
    COURSE_PLANNED = "scheduling.course_planned", "Course planned"
    COURSE_STARTED = "scheduling.course_started", "Course started"
    COURSE_PAUSED = "scheduling.course_paused", "Course paused"
    COURSE_RESUMED = "scheduling.course_resumed", "Course resumed"
    COURSE_COMPLETED = "scheduling.course_completed", "Course completed"
    COURSE_STOPPED = "scheduling.course_stopped", "Course stopped"
    APPOINTMENT_BOOKED = "scheduling.appointment_booked", "Appointment booked"
    APPOINTMENT_MOVED = "scheduling.appointment_moved", "Appointment moved"
    APPOINTMENT_CANCELLED = "scheduling.appointment_cancelled", "Appointment cancelled"
    APPOINTMENT_ATTENDED = "scheduling.appointment_attended", "Appointment attended"
    APPOINTMENT_NO_SHOW = "scheduling.appointment_no_show", "Appointment not attended"
    APPOINTMENT_ENDED = "scheduling.appointment_ended", "Attended session's end recorded"
    WORKING_HOURS_CHANGED = "scheduling.working_hours_changed", "Staff working hours changed"
    LEAVE_RECORDED = "scheduling.leave_recorded", "Staff leave recorded"
    LEAVE_REMOVED = "scheduling.leave_removed", "Staff leave removed"
    CLOSURE_ADDED = "scheduling.closure_added", "Clinic closure recorded"
    CLOSURE_REMOVED = "scheduling.closure_removed", "Clinic closure removed"
    HOLIDAYS_LOADED = "scheduling.holidays_loaded", "Public holidays loaded as closures"
    WAITLIST_ADDED = "scheduling.waitlist_added", "Patient added to the waitlist"
    WAITLIST_WITHDRAWN = "scheduling.waitlist_withdrawn", "Waitlist entry withdrawn"
    WAITLIST_BOOKED = "scheduling.waitlist_booked", "Offered slot booked from the waitlist"
    APPOINTMENT_VIEWED = "scheduling.appointment_viewed", "Appointment viewed"
    APPOINTMENTS_VIEWED = "scheduling.appointments_viewed", "Patient's appointments viewed"
    # Calendar feeds and reminders (issue 13.6, 13.7).
    FEED_ISSUED = "scheduling.feed_issued", "Calendar feed issued"
    FEED_REVOKED = "scheduling.feed_revoked", "Calendar feed revoked"
    REMINDER_HOURS_CHANGED = "scheduling.reminder_hours_changed", "Reminder lead times changed"
    REMINDER_SENT = "scheduling.reminder_sent", "Appointment reminder sent"
    COURSE_PLANNER_OPENED = "scheduling.course_planner_opened", "Course planner opened"
    COURSES_LISTED_BY_API = "scheduling.courses_listed_by_api", "Courses listed through the API"
    COURSE_READ_BY_API = "scheduling.course_read_by_api", "Course read through the API"
    APPOINTMENTS_LISTED_BY_API = (
        "scheduling.appointments_listed_by_api",
        "Appointments listed through the API",
    )
    APPOINTMENT_READ_BY_API = (
        "scheduling.appointment_read_by_api",
        "Appointment read through the API",
    )
