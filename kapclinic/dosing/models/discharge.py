"""What a discharged patient takes home (issue 15.7): the discharge summary and the take-home
instructions, written once by the transition to discharged and shown in the portal."""

from __future__ import annotations

from django.db import models

from kapclinic.core.models import PublicIdModel
from kapclinic.dosing.models.sessions import DosingSession
from kapclinic.patients.models import Patient


class DischargeSummary(PublicIdModel):
    """Generated at discharge (``services.discharge``); never edited afterwards."""

    session = models.OneToOneField(
        DosingSession, on_delete=models.PROTECT, related_name="discharge_summary"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="discharge_summaries"
    )
    discharged_at = models.DateTimeField()
    summary = models.TextField()  # for the record: dose, times, observation, criteria
    instructions = models.TextField()  # for the patient (R-DC-1, R-REMS-6): shown in the portal
    clinic_phone = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["-discharged_at"]
        indexes = [
            models.Index(fields=["patient", "discharged_at"], name="dosing_summary_patient"),
        ]

    def __str__(self) -> str:
        return f"Discharge summary {self.public_id}"
