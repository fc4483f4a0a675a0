"""The audit trail: an append-only, hash-chained record of every access to patient data.

Each entry stores an HMAC-SHA256, under a key kept outside the database, of its own content and
of the previous entry's hash, and the id of the key that sealed it; the chain head stores the
last position and hash. ``manage.py audit_checkpoint`` publishes signed copies of the head
outside the database. ``manage.py verify_audit`` checks all of it: see docs/security.md for
what is detected with the key alone and what needs the checkpoints. The table refuses UPDATE
and DELETE with database triggers; the model refuses both in Python.
Audit knows no domain app: patients, clinics and targets are stored as public ids and strings.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class Operation(models.TextChoices):
    CREATE = "create", "Create"
    READ = "read", "Read"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    SEARCH = "search", "Search"
    EXPORT = "export", "Export"
    AUTH = "auth", "Sign-in and security"
    ACCESS = "access", "Access control"


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        msg = "Audit events are append-only."
        raise AppendOnlyError(msg)

    def delete(self) -> tuple[int, dict[str, int]]:
        msg = "Audit events are append-only."
        raise AppendOnlyError(msg)


class AuditEvent(models.Model):
    # Contiguous 1, 2, 3... assigned under the chain-head lock (database sequences skip numbers
    # on rollback, which would look like a deleted entry).
    position = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # As the actor was known at the time (an e-mail can change later).
    actor_label = models.CharField(max_length=254, blank=True)
    actor_roles = models.CharField(max_length=200, blank=True)
    clinic_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    patient_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    operation = models.CharField(max_length=10, choices=Operation.choices)
    action = models.CharField(max_length=80)
    target = models.CharField(max_length=120, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    purpose = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)
    # Which AUDIT_KEY sealed the entry (kapclinic.audit.chain.audit_key); empty for the legacy
    # entries written before the trail was keyed, whose hash is a plain SHA-256.
    key_id = models.CharField(max_length=12, blank=True, default="", editable=False)

    objects: ClassVar[AuditEventQuerySet] = AuditEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["actor", "occurred_at"], name="audit_actor_time_idx")]

    def __str__(self) -> str:
        return f"#{self.position} {self.action} by {self.actor_label or 'anonymous'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            msg = "Audit events are append-only."
            raise AppendOnlyError(msg)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        msg = "Audit events are append-only."
        raise AppendOnlyError(msg)


class AuditChainHead(models.Model):
    """One row: the newest entry's position and hash. Writers lock it to append in order."""

    last_position = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # How many entries predate the key (written by migration 0003), sealed with the key so that
    # an attacker cannot pass off a re-written trail as "legacy unkeyed" entries.
    legacy_entries = models.PositiveBigIntegerField(default=0, editable=False)
    legacy_seal = models.CharField(max_length=80, blank=True, default="", editable=False)

    def __str__(self) -> str:
        return f"audit head at #{self.last_position}"
