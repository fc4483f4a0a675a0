"""Reads of questionnaire responses for the pages that give and show them: the clinic's tablet
(through ``access_assessment``: the patient's clinic and the user's role checked, the read
audited, 404 for "missing" and "not yours" alike), the one-time link's page (the response its
browser session opened), the portal (the patient's own responses only), and the count the
licensed-wording pages need (no patient data)."""

from __future__ import annotations

from typing import Final
from uuid import UUID

from django.http import Http404

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.models import Assessment, LicensedWording
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import PatientAccess, access_patient

PATIENT_LIST_LIMIT: Final = 100


def access_assessment(
    *,
    actor: Actor,
    public_id: UUID,
    capability: Capability,
    action: MeasurementAuditAction,
) -> tuple[Assessment, PatientAccess]:
    """The response and the access to its patient if ``actor`` may use ``capability`` on them;
    otherwise Http404, the same for "no such response" and "not yours". Audited as a read of the
    patient named ``action`` (``access_patient``)."""
    assessment = (
        Assessment.objects.select_related("patient", "clinic").filter(public_id=public_id).first()
    )
    if assessment is None:
        raise Http404
    access = access_patient(
        actor=actor,
        public_id=assessment.patient.public_id,
        capability=capability,
        action=action,
    )
    return assessment, access


def list_patient_assessments(patient: Patient) -> list[Assessment]:
    """The patient's latest responses, newest first, with who started each (at most
    ``PATIENT_LIST_LIMIT``; the outcome graph shows the whole series). One query."""
    return list(
        Assessment.objects.filter(patient=patient).select_related("started_by")[:PATIENT_LIST_LIMIT]
    )


def is_completed(assessment: Assessment) -> bool:
    """Whether the response is completed in the database now (a request that crossed this one
    may have finished it since it was read)."""
    return Assessment.objects.filter(pk=assessment.pk, status=Assessment.Status.COMPLETED).exists()


def find_linked_assessment(public_id: str) -> Assessment | None:
    """The response a one-time link opened in this browser session (its public id, kept in the
    session, never in the URL), or None."""
    return (
        Assessment.objects.select_related("patient", "clinic").filter(public_id=public_id).first()
    )


def list_open_own_assessments(patient: Patient) -> list[Assessment]:
    """The patient's unfinished responses, oldest first (the portal)."""
    return list(
        Assessment.objects.filter(patient=patient, status=Assessment.Status.IN_PROGRESS).order_by(
            "created_at"
        )
    )


def get_own_assessment(patient: Patient, public_id: UUID) -> Assessment:
    """The patient's own response ``public_id`` (the portal), else Http404: the same for "no
    such response" and "another patient's"."""
    assessment = (
        Assessment.objects.select_related("patient", "clinic")
        .filter(public_id=public_id, patient=patient)
        .first()
    )
    if assessment is None:
        raise Http404
    return assessment


def count_in_progress(wording: LicensedWording) -> int:
    """Responses of the wording's clinic to its instrument version still being answered:
    retiring the wording stops them from being shown (their answers so far are kept)."""
    return Assessment.objects.filter(
        clinic_id=wording.clinic_id,
        instrument_code=wording.instrument_code,
        instrument_version=wording.instrument_version,
        status=Assessment.Status.IN_PROGRESS,
    ).count()
