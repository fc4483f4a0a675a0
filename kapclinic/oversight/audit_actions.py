"""The audit actions oversight writes: reading the audit trail is itself audited.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class OversightAuditAction(AuditAction):
    REPORT_VIEWED = "audit.report_viewed", "Audit report viewed"
    EXPORTED = "audit.exported", "Audit report exported"
