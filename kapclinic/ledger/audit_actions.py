"""The audit actions the ledger writes.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class LedgerAuditAction(AuditAction):
    PRODUCT_ADDED = "ledger.product_added", "Controlled-substance product added"
    PRODUCT_RETIRED = "ledger.product_retired", "Controlled-substance product retired"
    ACCOUNT_OPENED = "ledger.account_opened", "Storage account opened"
    ACCOUNT_CLOSED = "ledger.account_closed", "Storage account closed"
    LOT_RECORDED = "ledger.lot_recorded", "Lot recorded"
    ENTRY_POSTED = "ledger.entry_posted", "Ledger entry posted"
    ENTRY_VIEWED = "ledger.entry_viewed", "Patient-bearing ledger entry viewed"
    ENTRIES_VIEWED = "ledger.entries_viewed", "Ledger entries naming patients viewed"
    WITNESS_REFUSED = "ledger.witness_refused", "Witness signature refused"
    SETTINGS_CHANGED = "ledger.settings_changed", "Ledger settings changed"
    COUNT_STARTED = "ledger.count_started", "Stock count started"
    COUNT_LINE_RECORDED = "ledger.count_line_recorded", "Stock count line recorded"
    COUNT_SUBMITTED = "ledger.count_submitted", "Stock count submitted by two counters"
    DISCREPANCY_CLOSED = "ledger.discrepancy_closed", "Count discrepancy closed with a finding"
    COMPLIANCE_TASK_RAISED = "ledger.compliance_task_raised", "DEA compliance task raised"
    COMPLIANCE_TASK_DONE = "ledger.compliance_task_done", "DEA compliance task done"
    CHAINS_VERIFIED = "ledger.chains_verified", "Ledger chains and balances verified"
    REPORT_VIEWED = "ledger.report_viewed", "Ledger report viewed"
    REPORT_EXPORTED = "ledger.report_exported", "Ledger report exported (CSV)"
