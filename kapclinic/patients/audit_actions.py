"""The audit actions patients writes (and the API's reads of patients), and emergency access.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class PatientAuditAction(AuditAction):
    # Reads
    CHART_VIEWED = "patients.chart_viewed", "Chart viewed"
    TIMELINE_VIEWED = "patients.timeline_viewed", "Timeline viewed"
    DEMOGRAPHICS_OPENED = "patients.demographics_opened", "Demographics form opened"
    MEASUREMENTS_OPENED = "patients.measurements_opened", "Weight and height opened"
    HISTORY_OPENED = "patients.history_opened", "Medications and allergies opened"
    CONTACTS_OPENED = "patients.contacts_opened", "Contacts and care team opened"
    DIAGNOSES_OPENED = "patients.diagnoses_opened", "Diagnoses opened"
    MERGE_OPENED = "patients.merge_opened", "Merge of duplicate records opened"
    ACCESSED_FOR_A_WRITE = "patients.accessed_for_a_write", "Record accessed for a change"
    SEARCHED = "patients.searched", "Patients searched"
    LISTED_BY_API = "patients.listed_by_api", "Patients listed through the API"
    READ_BY_API = "patients.read_by_api", "Patient read through the API"
    BREAK_GLASS_OPENED = "access.break_glass_opened", "Emergency access opened"
    # Writes
    REGISTERED = "patients.registered", "Patient registered"
    DEMOGRAPHICS_CHANGED = "patients.demographics_changed", "Demographics changed"
    CONTACTS_CHANGED = "patients.contacts_changed", "Contacts or care team changed"
    REMINDER_CONSENT_CHANGED = (
        "patients.reminder_consent_changed",
        "Consent to e-mail reminders recorded",
    )
    MEASUREMENT_RECORDED = "patients.measurement_recorded", "Weight and height recorded"
    MEDICATION_ADDED = "patients.medication_added", "Medication added"
    ALLERGY_ADDED = "patients.allergy_added", "Allergy added"
    HISTORY_STATUS_CHANGED = (
        "patients.history_status_changed",
        "Medication or allergy status changed",
    )
    DIAGNOSIS_ADDED = "patients.diagnosis_added", "Diagnosis added"
    DIAGNOSIS_PRIMARY_CHANGED = "patients.diagnosis_primary_changed", "Primary diagnosis changed"
    DIAGNOSIS_STATUS_CHANGED = "patients.diagnosis_status_changed", "Diagnosis status changed"
    MERGED_INTO = "patients.merged_into", "Duplicate record merged into another"
    MERGED_FROM = "patients.merged_from", "Duplicate record merged into this one"
