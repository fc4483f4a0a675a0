"""A patient's course of treatment and the appointments it owns (issue 13.2, 13.4).

A course follows one published protocol version for its whole life (a new version of the
protocol does not change a running course). Its appointments are the booked sessions, each of
one of the protocol's session types, in one room, with the staff the session type needs.

Double booking is impossible by construction: every live appointment holds its resources as
``ResourceHold`` rows (a chair of a room, units of a staff member's time, the patient), and the
database refuses two holds of one resource whose times overlap (migration 0004: an exclusion
constraint on PostgreSQL, a trigger on SQLite, where write transactions are also serialized).
``kapclinic.scheduling.resources`` names the resources; the booking service is the one writer.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q

from kapclinic.accounts.models import Clinic, Room, User
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models.protocols import ProtocolVersion
from kapclinic.scheduling.protocols.definition import MODALITY_LABELS, SESSION_KIND_LABELS


class Course(PublicIdModel, TimeStampedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    # A patient has at most one course in these states (the constraint below).
    OPEN_STATUSES = (Status.PLANNED, Status.ACTIVE, Status.PAUSED)

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="courses")
    # Copied from the protocol version for lists and filters.
    modality = models.CharField(
        max_length=40, choices=[(m.value, label) for m, label in MODALITY_LABELS.items()]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    planned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Why the course was paused or stopped (a written reason, core.reasons), never clinical
    # detail beyond what the care team needs.
    status_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["clinic", "-created_at"]
        indexes = [models.Index(fields=["clinic", "status"], name="course_clinic_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["planned", "active", "paused"]),
                name="course_one_open_per_patient",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["stopped", "paused"]) | ~Q(status_reason=""),
                name="course_stop_and_pause_have_reason",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(status__in=["completed", "stopped"]),
                name="course_ended_only_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        msg = "A course is never deleted: stop it with a reason."
        raise models.ProtectedError(msg, {self})


class Appointment(PublicIdModel, TimeStampedModel):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "Did not attend"
        CANCELLED = "cancelled", "Cancelled"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="appointments")
    # The course's patient, kept here for the calendar's indexes (a check in the booking
    # service; the course never changes patient).
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    session_type = models.CharField(max_length=40)  # the code of one of the protocol's types
    kind = models.CharField(
        max_length=20, choices=[(k.value, label) for k, label in SESSION_KIND_LABELS.items()]
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    chair = models.PositiveSmallIntegerField(default=1)  # 1..room.capacity
    therapist = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nurse = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    booked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when staff booked or moved it although the protocol's rules objected (audited).
    override_reason = models.TextField(blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)  # marked attended (arrival)
    ended_at = models.DateTimeField(null=True, blank=True)  # when the session ended
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at", "room"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="appt_clinic_start"),
            models.Index(fields=["room", "starts_at"], name="appt_room_start"),
            models.Index(fields=["patient", "starts_at"], name="appt_patient_start"),
            models.Index(fields=["therapist", "starts_at"], name="appt_therapist_start"),
            models.Index(fields=["nurse", "starts_at"], name="appt_nurse_start"),
            models.Index(fields=["course", "starts_at"], name="appt_course_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(chair__gte=1), name="appointment_chair_positive"),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="appointment_cancelled_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        """Booked, attended or missed: it holds its room, staff and patient."""
        return self.status != self.Status.CANCELLED

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        msg = "An appointment is never deleted: cancel it with a reason."
        raise models.ProtectedError(msg, {self})


class ResourceHold(models.Model):
    """One resource a live appointment occupies from ``starts_at`` to ``ends_at`` (half-open).

    ``resource`` is a key made by ``kapclinic.scheduling.resources`` ("room:12:2" for chair 2
    of room 12, "staff:7:3" for unit 3 of staff member 7's time, "patient:41"). The database
    refuses two holds of one key whose times overlap (migration 0004). The booking service
    writes and removes holds with their appointment; nothing else touches them.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="holds")
    resource = models.CharField(max_length=40)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["resource", "starts_at"], name="hold_resource_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="hold_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"
