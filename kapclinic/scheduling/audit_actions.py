"""The audit actions scheduling writes.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class SchedulingAuditAction(AuditAction):
    PROTOCOL_PUBLISHED = "scheduling.protocol_published", "Protocol version published"
    PROTOCOL_RETIRED = "scheduling.protocol_retired", "Protocol retired"
    COURSE_PLANNER_OPENED = "scheduling.course_planner_opened", "Course planner opened"
