"""The audit actions scheduling writes, in one place.

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead. Shaped like the per-app catalogues of issue 12.3 (a value and a label), so it becomes
an ``AuditAction`` subclass by changing its base class.
"""

from __future__ import annotations

from django.db import models


class SchedulingAuditAction(models.TextChoices):
    PROTOCOL_PUBLISHED = "scheduling.protocol_published", "Protocol version published"
    PROTOCOL_RETIRED = "scheduling.protocol_retired", "Protocol retired"
