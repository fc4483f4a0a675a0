"""When staff work (issue 13.5): weekly working hours per clinic, and leave.

A staff member can be booked for a session only inside their working hours at that clinic and
outside their leave. A session type that needs a prescriber on site (its protocol's resources)
can be booked only when a prescriber of the clinic works on site for the whole session: the
prescribers' on-site working hours, less their leave, are the clinic's coverage for a day.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from kapclinic.accounts.models import Clinic, User, Weekday
from kapclinic.core.models import PublicIdModel


class WorkingHours(PublicIdModel):
    """One working interval of one staff member in one clinic on a weekday (local time)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    # False: the person works for the clinic remotely (telehealth) in this interval; a
    # prescriber working remotely does not cover sessions that need one on site.
    on_site = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "user", "weekday", "starts_at"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="working_hours_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="working_hours_weekday_range"
            ),
            models.UniqueConstraint(
                fields=["clinic", "user", "weekday", "starts_at"],
                name="working_hours_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class StaffLeave(PublicIdModel):
    """Days a staff member is away (holiday, training, sickness), in every clinic."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="leave")
    first_day = models.DateField()
    last_day = models.DateField()
    note = models.CharField(max_length=200, blank=True)  # e.g. "Annual leave"; never clinical
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "first_day"]
        verbose_name_plural = "staff leave"
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="staff_leave_last_after_first"
            ),
        ]

    def __str__(self) -> str:
        return f"Leave {self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d}"
