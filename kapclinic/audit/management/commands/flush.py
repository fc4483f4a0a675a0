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

DELETE_TRIGGER = "audit_event_no_delete"


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options.get("database", DEFAULT_DB_ALIAS)
        connection = connections[database]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [DELETE_TRIGGER],
            )
            row = cursor.fetchone()
            if row is not None:
                cursor.execute(f"DROP TRIGGER {DELETE_TRIGGER}")
            super().handle(**options)
            if row is not None:
                cursor.execute(row[0])
