"""The person receiving care. Every patient belongs to exactly one clinic."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic, User
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.patients.interactions import InteractionClass
from kapclinic.patients.search import phone_digits, search_key


class Sex(models.TextChoices):
    """FHIR AdministrativeGender (http://hl7.org/fhir/administrative-gender)."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class PregnancyPotential(models.TextChoices):
    YES = "yes", "Could become pregnant"
    NO = "no", "Cannot become pregnant"
    UNKNOWN = "unknown", "Not yet asked"


class ReminderConsent(models.TextChoices):
    """Whether the patient agreed to appointment reminders by e-mail. Intake records no such
    consent, so it starts "not recorded", and nothing is sent until the patient (in the portal)
    or staff (on the chart) records a yes."""

    NOT_RECORDED = "not_recorded", "Not recorded: no reminders until the patient agrees"
    YES = "yes", "Yes: e-mail reminders"
    NO = "no", "No reminders"


# A chart lacks what the desk must collect: someone to call in an emergency, the usual escort
# home after dosing (R-DC-1), or any way to reach the patient.
MISSING_CONTACTS = (
    Q(emergency_contact_name="")
    | Q(emergency_contact_phone="")
    | Q(escort_name="")
    | Q(phone="", email="")
)


class Patient(PublicIdModel, TimeStampedModel):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    # Medical record number, unique within the clinic ("BOS-000123").
    mrn = models.CharField("MRN", max_length=20)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    # Appointment reminders by e-mail (kapclinic.scheduling.notify): only with a "yes".
    email_reminders = models.CharField(
        max_length=20, choices=ReminderConsent.choices, default=ReminderConsent.NOT_RECORDED
    )
    email_reminders_changed_at = models.DateTimeField(null=True, blank=True)
    # The patient's own sign-in for the portal (a User of kind "patient"), when they have one.
    portal_user = models.OneToOneField(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="patient_record"
    )
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    # The responsible adult who usually drives the patient home after dosing (R-DC-1).
    escort_name = models.CharField("usual escort", max_length=150, blank=True)
    escort_phone = models.CharField(max_length=30, blank=True)
    pregnancy_potential = models.CharField(
        max_length=10, choices=PregnancyPotential.choices, default=PregnancyPotential.UNKNOWN
    )
    care_prescriber = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    care_therapist = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    care_nurse = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A duplicate record merged into another (kapclinic.patients.services.merge): kept for the
    # record and its audit trail, left out of lists, searches and duplicate checks.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    merge_reason = models.TextField(blank=True)
    # Derived for search (kapclinic.patients.search); kept in step by refresh_search_fields().
    search_name = models.CharField(max_length=210, editable=False, default="")
    phone_digits = models.CharField(max_length=30, editable=False, default="", db_index=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_in_clinic"),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True, merge_reason="")
                | Q(merged_into__isnull=False, merged_at__isnull=False) & ~Q(merge_reason=""),
                name="patient_merge_recorded_with_time_and_reason",
            ),
        ]
        indexes = [
            # The current records (merged duplicates left out), alphabetical: the list's pages
            # and its count read this index alone.
            models.Index(
                fields=["clinic", "family_name", "given_name", "id"],
                condition=Q(merged_into=None),
                name="patient_current_name_idx",
            ),
            # Today's "missing contacts" list and badge, oldest first: an index of those records
            # only, so that finding them costs what they are, not the whole clinic.
            models.Index(
                fields=["clinic", "created_at", "id"],
                condition=Q(merged_into=None) & MISSING_CONTACTS,
                name="patient_missing_contacts_idx",
            ),
            models.Index(fields=["clinic", "birth_date"], name="patient_clinic_dob_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_search_fields()
        super().save(*args, **kwargs)

    def refresh_search_fields(self) -> None:
        """Fill search_name and phone_digits (bulk inserts call this themselves)."""
        self.search_name = search_key(self.given_name, self.family_name)
        self.phone_digits = phone_digits(self.phone)

    def age_on(self, day: date) -> int:
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)


class Diagnosis(PublicIdModel, TimeStampedModel):
    """A coded diagnosis on the patient's problem list (ICD-10-CM)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    icd10_code = models.CharField("ICD-10-CM code", max_length=8)
    display = models.CharField(max_length=200)
    is_primary = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    noted_on = models.DateField()

    class Meta:
        ordering = ["-is_primary", "icd10_code"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(is_primary=True, status="active"),
                name="diagnosis_one_active_primary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.display}"


class BreakGlassGrant(PublicIdModel):
    """Emergency access by a prescriber to a patient of another clinic of the organisation.

    Time-limited, with a stated reason; every page of the patient shows a banner while it
    lasts, and the patient's clinic admins are alerted when it is opened.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("granted_at")),
                name="break_glass_expires_after_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"break-glass by {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"


class BodyMeasurement(PublicIdModel):
    """Weight (and height, when measured) on a date: the history behind BMI and mg/kg dosing.

    LOINC 29463-7 body weight, 8302-2 body height, 39156-5 BMI (clinical-reference §7.2).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    measured_on = models.DateField()
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    height_cm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__gte=20, weight_kg__lte=300),
                name="measurement_weight_plausible",
            ),
            models.CheckConstraint(
                condition=Q(height_cm__isnull=True) | Q(height_cm__gte=100, height_cm__lte=250),
                name="measurement_height_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_on}"


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped / resolved"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Medication(PublicIdModel, TimeStampedModel):
    """A medication the patient takes (FHIR MedicationStatement), with its ketamine-relevant
    interaction class (kapclinic.patients.interactions)."""

    Status = RecordStatus

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, blank=True)
    interaction_class = models.CharField(
        max_length=20, blank=True, choices=InteractionClass.choices
    )
    status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.ACTIVE
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["status", "name"]

    def __str__(self) -> str:
        return self.name


class Allergy(PublicIdModel, TimeStampedModel):
    """An allergy or intolerance (FHIR AllergyIntolerance). Ketamine hypersensitivity is a
    contraindication (R-SCR-1)."""

    Status = RecordStatus

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=200)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.ACTIVE
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["status", "substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance

    @property
    def is_ketamine_hypersensitivity(self) -> bool:
        return "ketamine" in self.substance.casefold()
