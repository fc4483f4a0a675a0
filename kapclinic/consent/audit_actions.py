"""The audit actions consent writes.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class ConsentAuditAction(AuditAction):
    # Reads
    PATIENT_OPENED = "consent.patient_opened", "Patient's consents viewed"
    SIGNATURE_FORM_OPENED = "consent.signature_form_opened", "Consent signature form opened"
    COUNTERSIGN_OPENED = "consent.countersign_opened", "Countersignature form opened"
    WITHDRAWAL_OPENED = "consent.withdrawal_opened", "Withdrawal form opened"
    # Writes
    DOCUMENT_PUBLISHED = "consent.document_published", "Consent document published"
    PATIENT_SIGNED = "consent.patient_signed", "Consent signed by the patient"
    COUNTERSIGNED = "consent.countersigned", "Consent countersigned"
    WITHDRAWN = "consent.withdrawn", "Consent withdrawn"
