"""The controlled-substance ledger (issue 14): stock of ketamine and esketamine (Schedule III),
append-only hash-chained entries per storage account, counts and reconciliation, reports.

Rules: R-CS-1..7 (docs/rules.md; 21 CFR 1304, 1301.76(b)). docs/ledger.md describes the whole.
"""
