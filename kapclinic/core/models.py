"""Abstract bases shared by every app. No concrete models live here."""

from __future__ import annotations

import uuid

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class PublicIdModel(models.Model):
    """An opaque id for URLs, templates, FHIR ids and audit targets; ``pk`` never leaves the DB."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True
