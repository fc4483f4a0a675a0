"""The database itself refuses UPDATE and DELETE of ledger entries (issue 14.3), on both
databases, as it does for the audit trail (kapclinic/audit/migrations 0002, 0004).

PostgreSQL: one row trigger for both. TRUNCATE fires no row trigger: the application's role
should hold no TRUNCATE, UPDATE or DELETE privilege on ledger_entry (docs/ledger.md).
SQLite: two triggers. ``manage.py flush`` (Django's test flush) drops every ``*_no_delete``
trigger inside its transaction and re-creates it (kapclinic/audit/management/commands/flush.py).
A later migration that rebuilds ledger_entry on SQLite (adds a column by copying the table)
must re-create both; ``test_ledger_append_only`` fails if it does not.
"""

from __future__ import annotations

from django.db import migrations

from kapclinic.core.vendor_sql import VendorSQL, vendor_sql

MESSAGE = "ledger entries are append-only"

FORWARD = VendorSQL(
    postgresql=(
        f"""CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql""",
        """CREATE TRIGGER ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()""",
    ),
    sqlite=(
        f"""CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE ON ledger_entry
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
        f"""CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
    ),
)
REVERSE = VendorSQL(
    postgresql=(
        "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry",
        "DROP FUNCTION IF EXISTS ledger_entry_append_only()",
    ),
    sqlite=(
        "DROP TRIGGER IF EXISTS ledger_entry_append_only",
        "DROP TRIGGER IF EXISTS ledger_entry_no_delete",
    ),
)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_stock_and_entries")]
    operations = [vendor_sql(forward=FORWARD, reverse=REVERSE)]
