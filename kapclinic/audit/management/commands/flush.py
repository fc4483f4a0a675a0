"""Django's flush, able to empty the audit table on SQLite despite its DELETE trigger.

Why: migration 0004 refuses DELETE on audit_auditevent on SQLite; Django's test flush and
``manage.py flush`` use DELETE there (TRUNCATE on PostgreSQL, which fires no row trigger). This
drops the trigger, flushes and re-creates it in one transaction, so the trigger is never absent
outside it and a failed flush leaves it in place. See the migration's docstring.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Every append-only table's SQLite DELETE trigger is named "<table>_no_delete" by convention:
# the audit trail's (audit_event_no_delete) and the ledger's (ledger_entry_no_delete).
DELETE_TRIGGER_SUFFIX = "_no_delete"


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options.get("database", DEFAULT_DB_ALIAS)
        connection = connections[database]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"%{DELETE_TRIGGER_SUFFIX}"],
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            super().handle(**options)
            for _name, sql in triggers:
                cursor.execute(sql)
