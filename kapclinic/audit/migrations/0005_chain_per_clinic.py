"""Issue 12, point 8: a chain per chain key (one per clinic, and "global"), each with its own head.

Every existing entry and the one existing head row (id 1) join the chain "global", unchanged:
no entry is moved, renumbered or re-sealed, so every stored hash, the sealed legacy boundary
(on that head row) and every checkpoint written before (version 1 lines, read as checkpoints of
"global") still verify. From here on an entry with a clinic goes to that clinic's chain, which
starts at #1 and seals its chain key; an entry without one goes on in "global". ADR 0008 says
why the old entries are not re-keyed into their clinics' chains.

The one head row was created with id 1 given explicitly, which left PostgreSQL's sequence of
head ids behind it; the sequence is moved past it, else the first clinic's head would collide.

Positions are unique per chain now: the (chain, position) constraint is added before the
single-column one is dropped. On SQLite these operations rebuild audit_auditevent, which drops
its triggers; both are created again at the end (as 0004 did; ``test_both_append_only_triggers
_exist`` checks). On PostgreSQL ADD COLUMN with a default rewrites no row and fires no trigger.
"""

from __future__ import annotations

from django.core.management.color import no_style
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS audit_event_append_only",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END""",
]


def continue_head_ids_after_the_global_row(
    apps: StateApps, schema_editor: BaseDatabaseSchemaEditor
) -> None:
    """Until now the one head row was created with id 1 given explicitly, which does not move a
    PostgreSQL sequence: the first clinic's head would be given id 1 again. Set the sequence
    past the rows there are (SQLite's AUTOINCREMENT already counts from the highest id)."""
    connection = schema_editor.connection
    statements = connection.ops.sequence_reset_sql(
        no_style(), [apps.get_model("audit", "AuditChainHead")]
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def recreate_sqlite_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_sqlite_delete_trigger")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="chain",
            field=models.CharField(default="global", max_length=64, unique=True),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.CharField(default="global", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "position"), name="audit_auditevent_chain_position"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="position",
            field=models.PositiveBigIntegerField(editable=False),
        ),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["id"]}),
        migrations.RunPython(continue_head_ids_after_the_global_row, migrations.RunPython.noop),
        # Both directions: a rebuild in either drops the triggers.
        migrations.RunPython(recreate_sqlite_triggers, recreate_sqlite_triggers),
    ]
