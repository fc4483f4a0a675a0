"""Raw SQL in migrations that differs between PostgreSQL and SQLite (triggers, exclusion
constraints): one operation, so each migration states both dialects and both reversals once.

kapclinic runs on both databases (docs/style.md): a guarantee a migration adds on one must
have its equal on the other, so both are required here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import NotSupportedError, migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


@dataclass(frozen=True)
class VendorSQL:
    """The statements for each database, run in order (SQLite's driver takes one statement
    per call, so each is its own string)."""

    postgresql: tuple[str, ...]
    sqlite: tuple[str, ...]


def vendor_sql(*, forward: VendorSQL, reverse: VendorSQL) -> migrations.RunPython:
    """A migration operation that runs ``forward``'s SQL for the connection's database, and
    ``reverse``'s when the migration is unapplied. Any other database is refused."""

    def run(sql: VendorSQL, schema_editor: BaseDatabaseSchemaEditor) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            statements = sql.postgresql
        elif vendor == "sqlite":
            statements = sql.sqlite
        else:  # pragma: no cover - kapclinic supports these two databases only
            # A refusal, not a gap: another database would lose the guarantee these add.
            msg = f"kapclinic supports PostgreSQL and SQLite, not {vendor}."
            raise NotSupportedError(msg)
        for statement in statements:
            schema_editor.execute(statement)

    def apply(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        run(forward, schema_editor)

    def unapply(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        run(reverse, schema_editor)

    return migrations.RunPython(apply, unapply)
