"""Reads about informed consent: documents, a patient's records, and whether consent is valid.

Patient-level reads go through kapclinic.patients.selectors.access_patient (404 across clinics,
audited); the helpers here take an already-accessed patient.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import formats, timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability
from kapclinic.consent.audit_actions import ConsentAuditAction
from kapclinic.consent.models import (
    ConsentDocument,
    ConsentRecord,
    ConsentStatusCode,
    TreatmentType,
)
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import PatientAccess, access_patient


@dataclass(frozen=True)
class ConsentStatus:
    """Whether ``patient`` holds valid consent for a treatment type, and why (not)."""

    treatment_type: TreatmentType
    valid: bool
    reason: str
    # The record the answer is based on (the patient's latest for that type), if any.
    record: ConsentRecord | None
    # The latest published document version for the type, if any.
    document: ConsentDocument | None

    @property
    def code(self) -> ConsentStatusCode | None:
        if self.record is None:
            return None
        return self.record.status_against(self.document.version if self.document else None)


def list_documents(clinic: Clinic) -> list[ConsentDocument]:
    """Every version of every document of the clinic, newest version first per type."""
    return list(
        ConsentDocument.objects.filter(clinic=clinic)
        .select_related("published_by")
        .order_by("treatment_type", "-version")
    )


def current_documents(clinic: Clinic, *, now: datetime | None = None) -> dict[str, ConsentDocument]:
    """The latest published version per treatment type (one query)."""
    rows = ConsentDocument.objects.filter(clinic=clinic)
    if now is not None:
        rows = rows.filter(published_at__lte=now)
    current: dict[str, ConsentDocument] = {}
    for document in rows.order_by("treatment_type", "-version"):
        current.setdefault(document.treatment_type, document)
    return current


def current_document(
    clinic: Clinic, treatment_type: TreatmentType, *, now: datetime | None = None
) -> ConsentDocument | None:
    rows = ConsentDocument.objects.filter(clinic=clinic, treatment_type=treatment_type)
    if now is not None:
        rows = rows.filter(published_at__lte=now)
    return rows.order_by("-version").first()


def list_records(patient: Patient) -> list[ConsentRecord]:
    """All the patient's consent records, newest first (one query)."""
    return list(
        ConsentRecord.objects.filter(patient=patient)
        .select_related("document", "presented_by", "countersigned_by", "withdrawn_recorded_by")
        .order_by("-patient_signed_at", "-id")
    )


def _day(moment: datetime, clinic: Clinic) -> str:
    return formats.date_format(timezone.localtime(moment, clinic.tzinfo), "Y-m-d")


def evaluate(
    *,
    patient: Patient,
    treatment_type: TreatmentType,
    document: ConsentDocument | None,
    records: Iterable[ConsentRecord],
    now: datetime,
) -> ConsentStatus:
    """The consent status from already-loaded rows (no queries). ``records`` may hold records
    of other treatment types; only those of ``treatment_type`` signed by ``now`` count."""
    label = treatment_type.label
    mine = sorted(
        (
            r
            for r in records
            if r.document.treatment_type == treatment_type and r.patient_signed_at <= now
        ),
        key=lambda r: (r.patient_signed_at, r.pk),
        reverse=True,
    )
    latest = mine[0] if mine else None

    def answer(valid: bool, reason: str) -> ConsentStatus:
        return ConsentStatus(treatment_type, valid, reason, latest, document)

    if document is None:
        return answer(False, f"No consent document for {label} has been published.")
    if latest is None:
        return answer(False, f"Not signed: the patient has not consented to {label}.")
    if latest.withdrawn_at is not None and latest.withdrawn_at <= now:
        day = _day(latest.withdrawn_at, patient.clinic)
        return answer(False, f"Consent withdrawn on {day}: {latest.withdrawn_reason}")
    if latest.document.version < document.version:
        return answer(
            False,
            f"Re-consent required: version {document.version} published "
            f"(the patient signed version {latest.document.version}).",
        )
    if latest.countersigned_at is None or latest.countersigned_at > now:
        return answer(False, "Awaiting staff countersignature.")
    day = _day(latest.countersigned_at, patient.clinic)
    return answer(True, f"Valid: version {document.version} signed and countersigned {day}.")


def consent_status(
    patient: Patient, treatment_type: TreatmentType, *, now: datetime
) -> ConsentStatus:
    """Valid only if the latest version of the treatment type's document published by ``now``
    carries the patient's countersigned, not withdrawn signature. Two queries."""
    document = current_document(patient.clinic, treatment_type, now=now)
    records = ConsentRecord.objects.filter(
        patient=patient, document__treatment_type=treatment_type
    ).select_related("document")
    return evaluate(
        patient=patient,
        treatment_type=treatment_type,
        document=document,
        records=list(records),
        now=now,
    )


def consent_overview(
    patient: Patient, records: list[ConsentRecord] | None = None, *, now: datetime
) -> list[ConsentStatus]:
    """The status for every treatment type; two queries (one if ``records`` are given)."""
    documents = current_documents(patient.clinic, now=now)
    rows = list_records(patient) if records is None else records
    return [
        evaluate(
            patient=patient,
            treatment_type=treatment_type,
            document=documents.get(treatment_type),
            records=rows,
            now=now,
        )
        for treatment_type in TreatmentType
    ]


def access_consent_record(
    *,
    actor: Actor,
    public_id: UUID,
    capability: Capability = Capability.RECORD_CONSENT,
    action: ConsentAuditAction,
) -> tuple[ConsentRecord, PatientAccess]:
    """The consent record if ``actor`` may use ``capability`` (record consent) on its patient;
    otherwise Http404 (missing and forbidden look alike). Writes the READ audit entry of
    access_patient."""
    record = (
        ConsentRecord.objects.select_related("document", "patient")
        .filter(public_id=public_id)
        .first()
    )
    if record is None:
        raise Http404
    access = access_patient(
        actor=actor,
        public_id=record.patient.public_id,
        capability=capability,
        action=action,
    )
    record.patient = access.patient
    return record, access


def consents_awaiting_countersignature(clinic: Clinic) -> QuerySet[ConsentRecord]:
    """Signatures of the clinic's patients that no staff member has countersigned yet (and
    that were not withdrawn), the longest waiting first, with patient and document."""
    return (
        ConsentRecord.objects.filter(
            patient__clinic=clinic,
            patient__merged_into__isnull=True,
            countersigned_at__isnull=True,
            withdrawn_at__isnull=True,
        )
        .select_related("patient", "document")
        .order_by("patient_signed_at", "id")
    )


def count_countersigned_by_type(clinic: Clinic) -> dict[str, int]:
    """Countersigned, not withdrawn consent records of the clinic per treatment type (one
    query; aggregate pages)."""
    rows = (
        ConsentRecord.objects.filter(
            patient__clinic=clinic,
            patient__merged_into__isnull=True,
            countersigned_at__isnull=False,
            withdrawn_at__isnull=True,
        )
        .order_by()
        .values("document__treatment_type")
        .annotate(n=Count("id"))
    )
    return {row["document__treatment_type"]: row["n"] for row in rows}
