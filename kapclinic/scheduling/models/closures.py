"""Days a clinic is closed: public holidays and one-off closures (a move, a training day, a
storm), whole days or part of them, over one day or a run of days.

The slot rules (``kapclinic.scheduling.slots``) take them out of the clinic's opening hours, so
nothing (the planner, a booking, a move, a waitlist offer) lands on a closed day; it cannot be
overridden. A closure recorded over days with booked appointments cancels none of them: the
closures page lists them for the front desk to move.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from kapclinic.accounts.models import Clinic, User
from kapclinic.core.models import PublicIdModel


class ClosureSource(models.TextChoices):
    CLINIC = "clinic", "Recorded by the clinic"
    US_FEDERAL = "us_federal", "US federal holiday (5 U.S.C. 6103)"


class ClinicClosure(PublicIdModel):
    """``clinic`` is closed from ``first_day`` to ``last_day`` (its local days), the whole day,
    or only from ``starts_at`` to ``ends_at`` on each of those days."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    first_day = models.DateField()
    last_day = models.DateField()
    label = models.CharField(max_length=120)  # e.g. "Christmas Day"; never clinical
    starts_at = models.TimeField(null=True, blank=True)
    ends_at = models.TimeField(null=True, blank=True)
    source = models.CharField(
        max_length=20, choices=ClosureSource.choices, default=ClosureSource.CLINIC
    )
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clinic", "first_day", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="closure_last_after_first"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True)
                | Q(starts_at__isnull=False, ends_at__isnull=False, ends_at__gt=F("starts_at")),
                name="closure_whole_day_or_hours",
            ),
            models.UniqueConstraint(
                fields=["clinic", "first_day", "label"], name="closure_unique_day_label"
            ),
        ]

    @property
    def whole_day(self) -> bool:
        return self.starts_at is None

    def __str__(self) -> str:
        return f"Closed {self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d}: {self.label}"
