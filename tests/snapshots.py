"""A committed test database's rows, copied once and put back in a fraction of a second.

The suite's generated clinics (the session's demo, the browser tests' clinic) take seconds to
build through the services. A transactional test (the browser tests, the concurrency tests)
empties the database when it ends, so the next test that needs the clinic used to build it
again: tens of times a run, on both databases. Instead, the first build is copied and later
tests get the copy back:

- SQLite: the whole in-memory database with SQLite's online backup (its pages: schema,
  triggers, rows and sequences as they were);
- PostgreSQL: each table's rows into a schema of their own (``CREATE TABLE AS``), and back
  with ``INSERT ... SELECT`` after emptying the tables, with triggers (foreign-key checks and
  the append-only triggers alike) off for that session while the rows go back in; sequences
  are put back where they were.

The copy is the same rows the generator wrote, so a restored clinic is the one a fresh build
gives for the same arguments (the generator is deterministic, tests/test_snapshots.py checks
that the copy holds every row and table). Nothing here is used outside the tests.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

SCHEMA = "kap_test_snapshot"


@dataclass
class DatabaseSnapshot:
    """The rows of the test database at one moment (module docstring)."""

    name: str
    _sqlite: sqlite3.Connection | None = None
    _tables: list[str] = field(default_factory=list)
    _sequences: list[tuple[str, int | None]] = field(default_factory=list)

    @classmethod
    def take(cls, name: str) -> DatabaseSnapshot:
        """Copy the committed database; ``name`` keeps two snapshots apart on PostgreSQL."""
        assert not connection.in_atomic_block, "a snapshot copies committed rows only"
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            copy = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(copy)
            return cls(name=name, _sqlite=copy)
        snapshot = cls(name=name)
        snapshot._take_postgresql()
        return snapshot

    def restore(self) -> None:
        """Put the copied rows back, whatever the database holds now."""
        assert not connection.in_atomic_block, "a restore must be committed to be seen"
        connection.ensure_connection()
        if self._sqlite is not None:
            self._sqlite.backup(connection.connection)
        else:
            self._restore_postgresql()
        # A flush re-creates the content types under new ids; the copy brings the old ones back.
        ContentType.objects.clear_cache()

    # PostgreSQL -------------------------------------------------------------------------
    def _schema(self) -> str:
        return f"{SCHEMA}_{self.name}"

    def _take_postgresql(self) -> None:
        schema = self._schema()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            cursor.execute(f'CREATE SCHEMA "{schema}"')
            self._tables = sorted(connection.introspection.table_names(cursor))
            for table in self._tables:
                cursor.execute(f'CREATE TABLE "{schema}"."{table}" AS TABLE public."{table}"')
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            )
            self._sequences = [(str(name), value) for name, value in cursor.fetchall()]

    def _restore_postgresql(self) -> None:
        schema = self._schema()
        tables = ", ".join(f'public."{table}"' for table in self._tables)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables}")
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in self._tables:
                # Names from the database's own catalogue, never from input.
                source = f'"{schema}"."{table}"'
                cursor.execute(f'INSERT INTO public."{table}" SELECT * FROM {source}')  # noqa: S608
            for name, value in self._sequences:
                if value is None:
                    cursor.execute("SELECT setval(%s, 1, false)", [f'public."{name}"'])
                else:
                    cursor.execute("SELECT setval(%s, %s, true)", [f'public."{name}"', value])
