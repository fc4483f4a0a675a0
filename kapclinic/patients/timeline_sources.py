"""The patient record's own contributions to the chart timeline (see timeline.py)."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.patients.models import Patient, RecordStatus
from kapclinic.patients.timeline import TimelineEntry, register_source, start_of_day


def registration(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    yield TimelineEntry(at=patient.created_at, kind="Record", title="Registered at the clinic")


def measurements(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    for m in patient.measurements.order_by("-measured_on", "-recorded_at")[:limit]:
        height = f", height {m.height_cm} cm" if m.height_cm else ""
        yield TimelineEntry(
            at=start_of_day(m.measured_on),
            kind="Weight",
            title=f"Weight {m.weight_kg} kg{height}",
            url=reverse("patients:measurements", args=[patient.public_id]),
            link_capability=Capability.RECORD_MEASUREMENTS,
        )


def _status_note(status: str) -> tuple[bool, str]:
    if status == RecordStatus.ENTERED_IN_ERROR:
        return True, "entered in error"
    if status == RecordStatus.STOPPED:
        return False, "since stopped / resolved"
    return False, ""


def medications(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    for med in patient.medications.order_by("-created_at")[:limit]:
        struck, note = _status_note(med.status)
        flag = (
            f" · interacts: {med.get_interaction_class_display()}" if med.interaction_class else ""
        )
        yield TimelineEntry(
            at=med.created_at,
            kind="Medication",
            title=f"Medication recorded: {med.name} {med.dose}".rstrip(),
            detail=(note + flag).strip(" ·"),
            url=reverse("patients:history", args=[patient.public_id]),
            link_capability=Capability.RECORD_HISTORY,
            struck=struck,
        )


def allergies(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    for allergy in patient.allergies.order_by("-created_at")[:limit]:
        struck, note = _status_note(allergy.status)
        yield TimelineEntry(
            at=allergy.created_at,
            kind="Allergy",
            title=f"Allergy recorded: {allergy.substance} ({allergy.get_severity_display()})",
            detail=note,
            url=reverse("patients:history", args=[patient.public_id]),
            link_capability=Capability.RECORD_HISTORY,
            struck=struck,
        )


def diagnoses(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    for dx in patient.diagnoses.order_by("-noted_on", "-created_at")[:limit]:
        struck = dx.status == dx.Status.ENTERED_IN_ERROR
        detail = "" if dx.status == dx.Status.ACTIVE else dx.get_status_display().lower()
        yield TimelineEntry(
            at=start_of_day(dx.noted_on),
            kind="Diagnosis",
            title=f"{dx.icd10_code} {dx.display}" + (" (primary)" if dx.is_primary else ""),
            detail=detail,
            url=reverse("patients:diagnoses", args=[patient.public_id]),
            link_capability=Capability.RECORD_DIAGNOSES,
            struck=struck,
        )


def register() -> None:
    register_source("patients.registration", registration)
    register_source("patients.measurements", measurements)
    register_source("patients.medications", medications)
    register_source("patients.allergies", allergies)
    register_source("patients.diagnoses", diagnoses)
