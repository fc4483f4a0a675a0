"""SQLite refuses DELETE of audit entries too (issue 10, point 4), as PostgreSQL already does.

Before this, a plain ``DELETE FROM audit_auditevent`` succeeded on SQLite without dropping any
trigger. This creates ``audit_event_no_delete`` and re-creates ``audit_event_append_only``
(UPDATE), which the table rebuild of 0003 dropped: SQLite keeps triggers with their table, and
Django adds a column by copying the table. A later migration that rebuilds audit_auditevent on
SQLite must re-create both; ``test_both_sqlite_triggers_exist`` fails if it does not.

Flushing: Django's test flush (TransactionTestCase, pytest ``transaction=True`` and
``live_server`` tests) and ``manage.py flush`` empty every table with DELETE on SQLite (with
TRUNCATE, which fires no row trigger, on PostgreSQL). The audit app therefore overrides the
``flush`` command (kapclinic/audit/management/commands/flush.py): on SQLite, in one
transaction, it drops ``audit_event_no_delete``, runs Django's flush, and re-creates the trigger
from the SQL it read from sqlite_master, so a failed flush leaves the trigger in place and the
trigger is never missing outside that transaction. Only that deliberate whole-database wipe
passes; any other DELETE is refused. An attacker who can run DDL can drop the trigger (as on
PostgreSQL): that is what the keyed hashes and the signed checkpoints are for.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_CREATE = [
    "DROP TRIGGER IF EXISTS audit_event_append_only",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_event_no_delete"]


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_entries")]
    operations = [migrations.RunPython(create, drop)]
