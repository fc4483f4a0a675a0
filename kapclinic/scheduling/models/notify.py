"""Calendar feeds and appointment reminders (issue 13.6, 13.7), and the clinic's settings
for them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic, Room, User
from kapclinic.core.models import PublicIdModel
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models.courses import Appointment


def default_reminder_hours() -> list[int]:
    return [72, 24]


class SchedulingSettings(models.Model):
    """A clinic's scheduling settings. None of these values is in the clinical reference
    (NOT FOUND): they are the clinic's choice, with kapclinic's defaults."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, related_name="scheduling_settings"
    )
    # Reminders go this many hours before an appointment (each once).
    reminder_hours_before = models.JSONField(default=default_reminder_hours)
    # Bookings start on multiples of this many minutes after the hour.
    slot_minutes = models.PositiveSmallIntegerField(default=15)

    class Meta:
        verbose_name_plural = "scheduling settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__in=[5, 10, 15, 20, 30, 60]),
                name="scheduling_slot_minutes_allowed",
            ),
        ]

    def __str__(self) -> str:
        return f"Scheduling settings of {self.clinic}"


class CalendarFeed(PublicIdModel):
    """An iCalendar feed (RFC 5545) of one staff member's, one room's or one patient's
    appointments, read with an unguessable token. Only the token's SHA-256 is stored; the
    token is shown once. A revoked feed answers 404."""

    class Owner(models.TextChoices):
        STAFF = "staff", "Staff member"
        ROOM = "room", "Room"
        PATIENT = "patient", "Patient"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    owner = models.CharField(max_length=10, choices=Owner.choices)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clinic", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    owner="staff", user__isnull=False, room__isnull=True, patient__isnull=True
                )
                | Q(owner="room", user__isnull=True, room__isnull=False, patient__isnull=True)
                | Q(owner="patient", user__isnull=True, room__isnull=True, patient__isnull=False),
                name="calendar_feed_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed ({self.get_owner_display()})"


class ReminderDelivery(models.Model):
    """One reminder sent for one appointment at one lead time through one channel: the row is
    written before sending, and its uniqueness is what makes a reminder go once."""

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="+")
    hours_before = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=20)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "hours_before", "channel"], name="reminder_once_each"
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.hours_before} h before"
