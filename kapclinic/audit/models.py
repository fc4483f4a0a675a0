"""The audit trail: an append-only, hash-chained record of every access to patient data.

Entries form one chain per clinic, and one (``GLOBAL_CHAIN``) for entries that belong to no
clinic and for every entry written before the chains were split (ADR 0008; kapclinic.audit.
chaining). Each entry stores an HMAC-SHA256, under a key kept outside the database, of its own
content, its chain key and the previous entry's hash in its chain, and the id of the key that
sealed it; each chain's head row stores its last position and hash. ``manage.py
audit_checkpoint`` publishes signed copies of every head outside the database. ``manage.py
verify_audit`` checks all of it: see docs/security.md for what is detected with the key alone
and what needs the checkpoints. The table refuses UPDATE and DELETE with database triggers;
the model refuses both in Python.
Audit knows no domain app: patients, clinics and targets are stored as public ids and strings.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from kapclinic.audit.chaining import ChainedEntry, ChainHead


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


class AuditEvent(ChainedEntry):
    # chain, position (1, 2, 3... within the chain), prev_hash, entry_hash, key_id: ChainedEntry.
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

    objects: ClassVar[AuditEventQuerySet] = AuditEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta(ChainedEntry.Meta):
        # The order entries were appended in: within a chain it is the order of positions (an
        # entry is inserted under its chain's lock); across chains, the order of insertion.
        ordering = ["id"]
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


class AuditChainHead(ChainHead):
    """One row per chain: its newest entry's position and hash. Writers lock it to append.

    The row of GLOBAL_CHAIN is the one head of the trail before the split (id 1 there).
    """

    # Only GLOBAL_CHAIN's row: how many entries predate the key (written by migration 0003),
    # sealed with the key so that an attacker cannot pass off a re-written trail as "legacy
    # unkeyed" entries.
    legacy_entries = models.PositiveBigIntegerField(default=0, editable=False)
    legacy_seal = models.CharField(max_length=80, blank=True, default="", editable=False)
