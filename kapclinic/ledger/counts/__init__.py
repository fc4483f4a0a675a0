"""Counts, inventories, discrepancies and the DEA notification tasks (issue 14.4)."""
