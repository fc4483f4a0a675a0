"""Requests for an appointment: from the public self-check page or from outside clinicians.

A request holds only what the person agreed to share. It becomes a Patient when the front desk
registers them (the referral then points at the patient).
"""

from __future__ import annotations

from django.db import models

from kapclinic.accounts.models import Clinic, User
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.patients.models import Patient


class Referral(PublicIdModel, TimeStampedModel):
    class Source(models.TextChoices):
        SELF = "self", "Self-referral (website)"
        CLINICIAN = "clinician", "Referred by a clinician"

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        REGISTERED = "registered", "Registered as a patient"
        DECLINED = "declined", "Declined / not suitable"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    class ContactPreference(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "E-mail"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    contact_preference = models.CharField(max_length=10, choices=ContactPreference.choices)
    message = models.TextField(blank=True, max_length=2000)
    # The self-check answers, kept only when the person ticked "share my answers".
    prescreen_answers = models.JSONField(null=True, blank=True)
    referring_clinician = models.CharField(max_length=200, blank=True)
    referring_organisation = models.CharField(max_length=200, blank=True)
    referring_contact = models.CharField(max_length=200, blank=True)
    # A keyed hash of the sender's address, only for rate limiting (never the address itself).
    sender_key = models.CharField(max_length=64, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    triage_note = models.TextField(blank=True)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "status", "created_at"], name="referral_queue_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} — {self.get_status_display()}"
