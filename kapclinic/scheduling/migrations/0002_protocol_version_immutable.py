"""The database refuses to change a published protocol version (issue 13.1).

A running course points at the version it started with, so a version's content (its clinic,
code, number, document, name, modality, who published it, when and why) never changes, and a
retirement, once recorded, is final. Retiring (setting status, retired_at, retired_by and
retired_reason on a published version) is the one update that passes. PostgreSQL also refuses
DELETE; SQLite does not (Django's test flush deletes rows there), and the model refuses it.

On SQLite a table rebuild (adding a column by copying the table) drops the trigger: a later
migration that rebuilds scheduling_protocolversion must re-create it, and
``test_a_published_version_cannot_be_changed_in_the_database`` fails if it does not.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_CONTENT = (
    "public_id",
    "clinic_id",
    "code",
    "version",
    "name",
    "modality",
    "document",
    "published_at",
    "published_by_id",
    "reason",
)
_RETIREMENT = ("status", "retired_at", "retired_by_id", "retired_reason")
MESSAGE = "a published protocol version is immutable: publish a new version"


def _changed(operator: str) -> str:
    content = " OR ".join(f"NEW.{c} {operator} OLD.{c}" for c in _CONTENT)
    retirement = " OR ".join(f"NEW.{c} {operator} OLD.{c}" for c in _RETIREMENT)
    return f"({content}) OR (OLD.status = 'retired' AND ({retirement}))"


PG_CREATE = f"""
CREATE OR REPLACE FUNCTION scheduling_protocol_version_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a protocol version is never deleted';
    END IF;
    IF {_changed("IS DISTINCT FROM")} THEN
        RAISE EXCEPTION '{MESSAGE}';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER scheduling_protocol_version_immutable
    BEFORE UPDATE OR DELETE ON scheduling_protocolversion
    FOR EACH ROW EXECUTE FUNCTION scheduling_protocol_version_immutable();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS scheduling_protocol_version_immutable ON scheduling_protocolversion;
DROP FUNCTION IF EXISTS scheduling_protocol_version_immutable();
"""
SQLITE_CREATE = f"""
CREATE TRIGGER scheduling_protocol_version_immutable
BEFORE UPDATE ON scheduling_protocolversion
WHEN {_changed("IS NOT")}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS scheduling_protocol_version_immutable;"


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_protocol_versions")]
    operations = [migrations.RunPython(create, drop)]
