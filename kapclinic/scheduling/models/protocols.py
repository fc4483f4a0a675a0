"""Treatment protocols, per clinic, as immutable published versions.

A version holds the validated protocol document (``protocols.parser``) as JSON. It is never
edited: a change is a new version with a reason, and a course (later points) keeps the version
it started with. The database itself refuses to change a version's content (migration 0002,
on SQLite and PostgreSQL alike); the only later write is retiring the protocol's current version,
once, with a reason. Nothing is deleted.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic, User
from kapclinic.core.models import PublicIdModel
from kapclinic.scheduling.protocols.definition import MODALITY_LABELS


class ProtocolVersion(PublicIdModel):
    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=40)
    version = models.PositiveIntegerField()
    # Copied from the document for lists and filters; the document is what counts.
    name = models.CharField(max_length=200)
    modality = models.CharField(
        max_length=40, choices=[(m.value, label) for m, label in MODALITY_LABELS.items()]
    )
    document = models.JSONField()
    published_at = models.DateTimeField()
    # None: kapclinic's shipped template, copied into the clinic when it was set up.
    published_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()  # why this version was published
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retired_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["clinic", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code", "version"], name="protocol_version_unique_in_clinic"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="protocol_version_positive"),
            models.CheckConstraint(
                condition=Q(status="published", retired_at__isnull=True, retired_reason="")
                | (Q(status="retired", retired_at__isnull=False) & ~Q(retired_reason="")),
                name="protocol_version_retired_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        msg = "A protocol version is never deleted: retire the protocol with a reason."
        raise models.ProtectedError(msg, {self})
