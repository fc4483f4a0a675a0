"""The audit actions referrals writes.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class ReferralAuditAction(AuditAction):
    SELF_SUBMITTED = "referrals.self_submitted", "Self-referral submitted"
    CLINICIAN_RECORDED = "referrals.clinician_recorded", "Referral from a clinician recorded"
    TRIAGED = "referrals.triaged", "Referral triaged"
    REGISTERED = "referrals.registered", "Patient registered from a referral"
    LINKED_TO_EXISTING_PATIENT = (
        "referrals.linked_to_existing_patient",
        "Referral linked to an existing patient",
    )
