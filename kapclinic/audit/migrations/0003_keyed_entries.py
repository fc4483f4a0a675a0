"""Issue 10, point 4: entries are sealed with HMAC-SHA256 under AUDIT_KEY from now on.

Adds the key id column (empty for every existing entry: those stay "legacy unkeyed", plain
SHA-256, and are never re-sealed) and records on the chain head how many legacy entries there
are, with a seal of that boundary made with the current AUDIT_KEY. Without that seal an
attacker could re-write the whole trail as "legacy" plain SHA-256 and pass the key check. The
seal attests the trail as it is now: a change made before this migration cannot be detected.

On SQLite adding a column rebuilds audit_auditevent, which drops its triggers; 0004 creates them
again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from kapclinic.audit.chain import audit_key, legacy_boundary_seal


def seal_legacy_boundary(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditChainHead")
    newest = event_model.objects.order_by("-position").first()
    if newest is None:
        return  # a new installation: every entry will be keyed
    head, _ = head_model.objects.get_or_create(pk=1)
    head.legacy_entries = newest.position
    head.legacy_seal = legacy_boundary_seal(
        position=newest.position, entry_hash=newest.entry_hash, key=audit_key(settings.AUDIT_KEY)
    )
    head.save(update_fields=["legacy_entries", "legacy_seal"])


def forget_legacy_boundary(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    head_model = apps.get_model("audit", "AuditChainHead")
    head_model.objects.filter(pk=1).update(legacy_entries=0, legacy_seal="")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=12),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="legacy_entries",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="legacy_seal",
            field=models.CharField(blank=True, default="", editable=False, max_length=80),
        ),
        migrations.RunPython(seal_legacy_boundary, forget_legacy_boundary),
    ]
