"""People and places: users, the organisation, its clinics, their rooms and staff memberships.

Every clinical record in later apps belongs to exactly one Clinic (a non-null foreign key).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, time
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from kapclinic.core.models import PublicIdModel, TimeStampedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            msg = "Every user needs an email address."
            raise ValueError(msg)
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(PublicIdModel, AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Users are deactivated, never deleted (audit rows point at them)."""

    class Kind(models.TextChoices):
        STAFF = "staff", "Staff"
        PATIENT = "patient", "Patient (portal)"

    email = models.EmailField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STAFF)
    full_name = models.CharField(max_length=150)
    # Professional credential shown next to the name, e.g. "MD", "NP", "RN", "LCSW".
    credentials = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    # Django admin access (reference data); clinical writes never go through the admin.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name

    @property
    def is_patient(self) -> bool:
        return self.kind == self.Kind.PATIENT

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ", 1)[0]


class Organization(PublicIdModel, TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        msg = f"{value!r} is not an IANA time zone (for example America/Chicago)."
        raise ValidationError(msg)


class Clinic(PublicIdModel, TimeStampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(max_length=200)
    # Short code used as the prefix of medical record numbers, e.g. "BOS".
    code = models.CharField(max_length=8, unique=True)
    address_line = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    region = models.CharField("state / region", max_length=100)
    postal_code = models.CharField(max_length=20)
    # ISO 3166-1 alpha-2, with the subdivision as ISO 3166-2 where rules differ (US-CA).
    country = models.CharField(max_length=2, default="US")
    jurisdiction = models.CharField(
        max_length=10,
        default="US",
        help_text="Which regulatory rule set applies (e.g. US); rules are data keyed by this.",
    )
    phone = models.CharField(max_length=30, blank=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # HIPAA automatic logoff, 45 CFR 164.312(a)(2)(iii): sign staff out when idle.
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Staff are signed out after this many minutes without activity."
    )
    # How long a prescriber's emergency (break-glass) access to this clinic's patients lasts.
    break_glass_minutes = models.PositiveSmallIntegerField(default=60)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="clinic_name_unique_in_org"
            ),
            models.CheckConstraint(
                condition=Q(idle_timeout_minutes__gte=1, idle_timeout_minutes__lte=240),
                name="clinic_idle_timeout_range",
            ),
            models.CheckConstraint(
                condition=Q(break_glass_minutes__gte=5, break_glass_minutes__lte=24 * 60),
                name="clinic_break_glass_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_today(self) -> date:
        return timezone.localtime(timezone.now(), self.tzinfo).date()


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    """One opening interval on a weekday, in the clinic's local time. A day may have several."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["clinic", "weekday", "opens_at"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="opening_hours_close_after_open"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday_range"
            ),
            models.UniqueConstraint(
                fields=["clinic", "weekday", "opens_at"], name="opening_hours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def is_open_at(self, moment: time) -> bool:
        return self.opens_at <= moment < self.closes_at


class Room(PublicIdModel, TimeStampedModel):
    class Kind(models.TextChoices):
        TREATMENT = "treatment", "Treatment room (dosing)"
        THERAPY = "therapy", "Therapy / integration room"
        CONSULT = "consult", "Consultation room"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TREATMENT)
    # How many patients the room holds at once (a treatment room is usually one recliner).
    capacity = models.PositiveSmallIntegerField(default=1)
    has_recliner = models.BooleanField(default=False)
    has_eye_masks_and_headphones = models.BooleanField("eye masks and headphones", default=False)
    has_bp_monitor = models.BooleanField("blood-pressure monitor", default=False)
    has_pulse_oximeter = models.BooleanField(default=False)
    has_cardiac_monitor = models.BooleanField(default=False)
    has_oxygen = models.BooleanField("oxygen supply", default=False)
    notes = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="room_name_unique_in_clinic"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=20), name="room_capacity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.clinic.code})"

    @property
    def equipment(self) -> list[str]:
        labels = [
            (self.has_recliner, "recliner"),
            (self.has_eye_masks_and_headphones, "eye masks & headphones"),
            (self.has_bp_monitor, "BP monitor"),
            (self.has_pulse_oximeter, "pulse oximeter"),
            (self.has_cardiac_monitor, "cardiac monitor"),
            (self.has_oxygen, "oxygen"),
        ]
        return [label for present, label in labels if present]

    @property
    def can_monitor_dosing(self) -> bool:
        """REMS outpatient settings need a pulse oximeter on hand (clinical-reference §1.2)."""
        return self.has_bp_monitor and self.has_pulse_oximeter


class Role(models.TextChoices):
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    THERAPIST = "therapist", "Therapist"
    FRONT_DESK = "front_desk", "Front desk"
    RESEARCHER = "researcher", "Researcher"


class StaffMembership(PublicIdModel, TimeStampedModel):
    """A user's role in one clinic. One person may hold different roles in different clinics."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic", "role"], name="membership_unique_role_in_clinic"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"


class StaffNotice(PublicIdModel):
    """A message for one staff member in one clinic (e.g. a break-glass alert to its admins).

    Shown on every staff page until read. Never sent with patient details outside the app.
    """

    recipient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="notices")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="notices")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # A path inside the app (public ids only), e.g. the audit report filtered to the event.
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_unread_idx")]

    def __str__(self) -> str:
        return self.subject
