"""The audit actions screening writes.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class ScreeningAuditAction(AuditAction):
    # Reads
    FORM_OPENED = "screening.form_opened", "Screening form opened"
    HISTORY_VIEWED = "screening.history_viewed", "Screening history viewed"
    VIEWED = "screening.viewed", "Screening viewed"
    OVERRIDE_OPENED = "screening.override_opened", "Flag override form opened"
    SIGN_OPENED = "screening.sign_opened", "Eligibility decision form opened"
    ENTERED_IN_ERROR_OPENED = (
        "screening.entered_in_error_opened",
        "Entered-in-error form opened",
    )
    # Writes
    RECORDED = "screening.recorded", "Screening recorded"
    FLAG_OVERRIDDEN = "screening.flag_overridden", "Screening flag overridden"
    DECISION_SIGNED = "screening.decision_signed", "Eligibility decision signed"
    ENTERED_IN_ERROR = "screening.entered_in_error", "Screening marked entered in error"
    POLICY_CHANGED = "screening.policy_changed", "Screening policy changed"
