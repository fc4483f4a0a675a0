"""Informed consent: versioned consent documents per treatment type, and the patient's signed
(and staff-countersigned) agreement to one exact version.

A published document is never edited: a change is a new version, and a new version requires the
patient to consent again before the next dosing session (kapclinic.consent.readiness).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic, User
from kapclinic.core.models import PublicIdModel
from kapclinic.patients.models import Patient


class TreatmentType(models.TextChoices):
    ESKETAMINE_REMS = "esketamine_rems", "Esketamine (Spravato), REMS enrolment"
    RACEMIC_KETAMINE_OFF_LABEL = "racemic_ketamine_off_label", "Racemic ketamine (off-label use)"
    KETAMINE_ASSISTED_PSYCHOTHERAPY = (
        "ketamine_assisted_psychotherapy",
        "Ketamine-assisted psychotherapy",
    )
    TALK_THERAPY = "talk_therapy", "Talk therapy"


class ConsentStatusCode(models.TextChoices):
    """Where one signed record stands; computed, never stored (see ConsentRecord.status_against)."""

    AWAITING_COUNTERSIGNATURE = "awaiting_countersignature", "Awaiting staff countersignature"
    VALID = "valid", "Valid"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Superseded by a newer version"


class SignedVia(models.TextChoices):
    IN_CLINIC_TABLET = "in_clinic_tablet", "In the clinic, on a tablet"
    PORTAL = "portal", "Patient portal"


class ConsentDocument(PublicIdModel):
    """One published version of a clinic's consent text for a treatment type. Immutable."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_documents")
    treatment_type = models.CharField(max_length=40, choices=TreatmentType.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    # Plain text; templates render it escaped (linebreaks only), never as HTML.
    body = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["treatment_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "treatment_type", "version"],
                name="consent_document_version_unique",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="consent_document_version_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_treatment_type_display()} v{self.version}"


class ConsentRecord(PublicIdModel):
    """The patient's signature on one exact document version, and the staff countersignature."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consent_records")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="records")
    patient_typed_name = models.CharField(max_length=210)
    patient_agreed = models.BooleanField()
    patient_signed_at = models.DateTimeField()
    signed_via = models.CharField(max_length=20, choices=SignedVia.choices)
    # The staff member who presented the form (the tablet) to the patient.
    presented_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    countersigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    withdrawn_recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-patient_signed_at", "-id"]
        constraints = [
            # A record exists only because the patient ticked "I have read and understood".
            models.CheckConstraint(condition=Q(patient_agreed=True), name="consent_record_agreed"),
            models.CheckConstraint(
                condition=Q(countersigned_by__isnull=True, countersigned_at__isnull=True)
                | Q(countersigned_by__isnull=False, countersigned_at__isnull=False),
                name="consent_record_countersignature_complete",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_recorded_by__isnull=True)
                | (
                    Q(withdrawn_at__isnull=False, withdrawn_recorded_by__isnull=False)
                    & ~Q(withdrawn_reason="")
                ),
                name="consent_record_withdrawal_complete",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-patient_signed_at"])]

    def __str__(self) -> str:
        return f"consent to {self.document} signed {self.patient_signed_at:%Y-%m-%d}"

    def status_against(self, latest_version: int | None) -> ConsentStatusCode:
        """This record's status, given the latest published version of its document's type."""
        if self.withdrawn_at is not None:
            return ConsentStatusCode.WITHDRAWN
        if latest_version is not None and self.document.version < latest_version:
            return ConsentStatusCode.SUPERSEDED
        if self.countersigned_at is None:
            return ConsentStatusCode.AWAITING_COUNTERSIGNATURE
        return ConsentStatusCode.VALID
