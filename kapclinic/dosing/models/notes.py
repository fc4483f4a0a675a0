"""Session notes and the REMS Patient Monitoring Form's submission (issue 15.8).

A note is drafted by its author (a nurse, a therapist or a prescriber), then signed: from then
on it never changes. Later changes are addenda, each signed by its author when written. The
rule holds three times over: ``kapclinic.dosing.notes.services`` refuses it, the models and
their querysets refuse it in Python, and the database refuses it (migration 0003_notes: an
UPDATE or DELETE of a signed note, any UPDATE or DELETE of an addendum or a REMS submission,
an addendum to an unsigned note), as it does for the audit trail and the ledger.

The REMS Patient Monitoring Form (R-REMS-5) is assembled from the session record when it is
shown (``kapclinic.dosing.notes.rems``); what is stored is the clinic's record that it was
submitted to the REMS: by whom, on which day, the REMS confirmation number, and the form's
content as it was then.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from kapclinic.core.models import PublicIdModel
from kapclinic.dosing.models.sessions import DosingSession


class SignedRecordError(Exception):
    """A signed note, an addendum or a REMS submission was asked to change or go."""


SIGNED_NOTE = "A signed note never changes: add an addendum."
APPEND_ONLY = "Addenda and REMS submissions are never changed or deleted."


class NoteAuthorRole(models.TextChoices):
    """The role a note is written in (the author's role in the session's clinic)."""

    NURSE = "nurse", "Nurse"
    THERAPIST = "therapist", "Therapist"
    PRESCRIBER = "prescriber", "Prescriber"


class SessionNoteQuerySet(models.QuerySet["SessionNote"]):
    def update(self, **kwargs: Any) -> int:
        if self.filter(signed_at__isnull=False).exists():
            raise SignedRecordError(SIGNED_NOTE)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(signed_at__isnull=False).exists():
            raise SignedRecordError(SIGNED_NOTE)
        return super().delete()


class SessionNote(PublicIdModel):
    """A nurse's, therapist's or prescriber's note of one session: a draft until signed."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=12, choices=NoteAuthorRole.choices)
    text = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the text as signed; the audit entry of the signing carries it too, so the
    # hash-chained trail can show the text was not changed behind the database's back.
    text_sha256 = models.CharField(max_length=64, blank=True)

    objects: ClassVar[SessionNoteQuerySet] = SessionNoteQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One draft per author per session: the page reopens it.
            models.UniqueConstraint(
                fields=["session", "author"],
                condition=Q(signed_at__isnull=True),
                name="dosing_note_one_draft_per_author",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | ~Q(text_sha256=""),
                name="dosing_note_signed_with_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_role_display()} note ({'signed' if self.is_signed else 'draft'})"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk, signed_at__isnull=False).exists()
            if stored:
                raise SignedRecordError(SIGNED_NOTE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_signed:
            raise SignedRecordError(SIGNED_NOTE)
        return super().delete(*args, **kwargs)


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise SignedRecordError(APPEND_ONLY)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise SignedRecordError(APPEND_ONLY)


class AppendOnlyModel(models.Model):
    """Written once, never updated or deleted (the database says so too: 0003_notes)."""

    objects: ClassVar[AppendOnlyQuerySet] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise SignedRecordError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise SignedRecordError(APPEND_ONLY)


class NoteAddendum(PublicIdModel, AppendOnlyModel):
    """A later addition to a signed note, signed by its author when written."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=12, choices=NoteAuthorRole.choices)
    text = models.TextField()
    signed_at = models.DateTimeField()
    text_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name_plural = "note addenda"

    def __str__(self) -> str:
        return f"Addendum of {self.signed_at:%Y-%m-%d %H:%M}"


class RemsFormSubmission(PublicIdModel, AppendOnlyModel):
    """R-REMS-5: the session's Patient Monitoring Form was submitted to the REMS."""

    session = models.OneToOneField(
        DosingSession, on_delete=models.PROTECT, related_name="rems_submission"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_on = models.DateField()  # the day it went to the REMS (on time: <= due_on)
    due_on = models.DateField()  # as it was due (R-REMS-5: the session's day + 7)
    recorded_at = models.DateTimeField()
    confirmation_number = models.CharField(max_length=40)
    content = models.JSONField()  # the form as assembled when it was marked submitted
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-submitted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(confirmation_number=""), name="dosing_rems_confirmation_given"
            ),
        ]

    def __str__(self) -> str:
        return f"REMS form submitted {self.submitted_on:%Y-%m-%d}"

    @property
    def on_time(self) -> bool:
        return self.submitted_on <= self.due_on
