"""Patients waiting for a slot (issue 13.4): a freed slot is offered to those who fit it."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from kapclinic.accounts.models import Clinic, User
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models.courses import Appointment, Course


class WaitlistEntry(PublicIdModel, TimeStampedModel):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a slot"
        BOOKED = "booked", "Booked"
        WITHDRAWN = "withdrawn", "Withdrawn"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    # The course whose session the patient waits for; None: a first appointment.
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session_type = models.CharField(max_length=40, blank=True)  # blank: any
    earliest_day = models.DateField()
    latest_day = models.DateField(null=True, blank=True)
    # Weekdays the patient can come (0 Monday .. 6 Sunday); empty: any.
    weekdays = models.JSONField(default=list, blank=True)
    not_before = models.TimeField(null=True, blank=True)
    not_after = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)  # logistics only, never clinical
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    offered_appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["clinic", "created_at"]
        verbose_name_plural = "waitlist entries"
        indexes = [models.Index(fields=["clinic", "status"], name="waitlist_clinic_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(latest_day__isnull=True) | Q(latest_day__gte=F("earliest_day")),
                name="waitlist_latest_after_earliest",
            ),
        ]

    def __str__(self) -> str:
        return f"Waiting from {self.earliest_day:%Y-%m-%d}"
