"""Writes about informed consent. Each service runs in a transaction and writes its audit entry."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import Max

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.consent.audit_actions import ConsentAuditAction
from kapclinic.consent.exceptions import ConsentError
from kapclinic.consent.models import ConsentDocument, ConsentRecord, SignedVia, TreatmentType
from kapclinic.core.reasons import clean_reason
from kapclinic.patients.models import Patient
from kapclinic.patients.search import fold

MIN_WITHDRAWAL_REASON_LENGTH = 5


@transaction.atomic
def publish_document(
    *,
    actor: Actor,
    clinic: Clinic,
    treatment_type: TreatmentType,
    title: str,
    body: str,
    now: datetime,
) -> ConsentDocument:
    """Publish the next version of the clinic's consent document for ``treatment_type``.

    Earlier versions stay as they are (records point at the exact version signed); patients
    who signed an earlier version must consent again before their next dosing session.
    Raises ConsentError when the title or body is empty.
    Writes: ConsentDocument, a CREATE audit entry.
    """
    title, body = title.strip(), body.strip()
    if not title:
        msg = "Give the document a title."
        raise ConsentError(msg, field="title")
    if not body:
        msg = "The document needs its text."
        raise ConsentError(msg, field="body")
    # Lock the clinic row so that two admins publishing at once get consecutive versions
    # (the unique constraint is the backstop; SQLite write transactions are IMMEDIATE).
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    latest = ConsentDocument.objects.filter(clinic=clinic, treatment_type=treatment_type).aggregate(
        latest=Max("version")
    )["latest"]
    document = ConsentDocument(
        clinic=clinic,
        treatment_type=treatment_type,
        version=(latest or 0) + 1,
        title=title,
        body=body,
        published_at=now,
        published_by=actor.user,
    )
    document.full_clean()
    document.save()
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=ConsentAuditAction.DOCUMENT_PUBLISHED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(document),
        detail={"treatment_type": treatment_type, "version": document.version},
    )
    return document


def name_matches(typed_name: str, patient: Patient) -> bool:
    """Case-, accent- and punctuation-insensitive; given-family or family-given order."""
    typed = fold(typed_name)
    given, family = fold(patient.given_name), fold(patient.family_name)
    return bool(typed) and typed in {f"{given} {family}", f"{family} {given}"}


@transaction.atomic
def record_patient_signature(
    *,
    actor: Actor,
    patient: Patient,
    document: ConsentDocument,
    typed_name: str,
    agreed: bool,
    signed_via: SignedVia = SignedVia.IN_CLINIC_TABLET,
    now: datetime,
) -> ConsentRecord:
    """Record the patient's signature (typed full name + "I have read and understood") on the
    current version of a consent document, as presented by ``actor``.

    Raises ConsentError when the document is of another clinic or no longer current, the box is
    not ticked, the typed name is not the patient's, or the patient already signed this version
    (and has not withdrawn).
    Writes: ConsentRecord (awaiting countersignature), a CREATE audit entry.
    """
    if document.clinic_id != patient.clinic_id:
        msg = "This consent document belongs to another clinic."
        raise ConsentError(msg)
    newest = (
        ConsentDocument.objects.filter(
            clinic_id=document.clinic_id, treatment_type=document.treatment_type
        )
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if newest != document.version:
        msg = f"Version {newest} of this document has been published: sign that version."
        raise ConsentError(msg)
    if not agreed:
        msg = "The patient must tick “I have read and understood” to consent."
        raise ConsentError(msg, field="agreed")
    if not name_matches(typed_name, patient):
        msg = (
            f"The typed name does not match the patient's name ({patient.full_name}). "
            "Ask the patient to type their full name."
        )
        raise ConsentError(msg, field="typed_name")
    if ConsentRecord.objects.filter(
        patient=patient, document=document, withdrawn_at__isnull=True
    ).exists():
        msg = "The patient has already signed this version."
        raise ConsentError(msg)
    record = ConsentRecord(
        patient=patient,
        document=document,
        patient_typed_name=typed_name.strip(),
        patient_agreed=True,
        patient_signed_at=now,
        signed_via=signed_via,
        presented_by=actor.user,
    )
    record.full_clean()
    record.save()
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=ConsentAuditAction.PATIENT_SIGNED,
        actor_roles=actor.roles,
        clinic_id=patient.clinic.public_id,
        patient_id=patient.public_id,
        target=audit.target_of(record),
        detail={
            "document": audit.target_of(document),
            "treatment_type": document.treatment_type,
            "version": document.version,
            "signed_via": signed_via,
        },
    )
    return record


def _locked(record: ConsentRecord) -> ConsentRecord:
    return (
        ConsentRecord.objects.select_for_update()
        .select_related("document", "patient__clinic")
        .get(pk=record.pk)
    )


@transaction.atomic
def countersign(*, actor: Actor, record: ConsentRecord, now: datetime) -> ConsentRecord:
    """Countersign the patient's signature: from now on the consent is valid.

    Raises ConsentError when the record is already countersigned or withdrawn.
    Writes: ConsentRecord.countersigned_by/_at, an UPDATE audit entry.
    """
    record = _locked(record)
    if record.withdrawn_at is not None:
        msg = "This consent was withdrawn: it cannot be countersigned."
        raise ConsentError(msg)
    if record.countersigned_at is not None:
        msg = "This consent is already countersigned."
        raise ConsentError(msg)
    record.countersigned_by = actor.user
    record.countersigned_at = now
    record.save(update_fields=["countersigned_by", "countersigned_at"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=ConsentAuditAction.COUNTERSIGNED,
        actor_roles=actor.roles,
        clinic_id=record.patient.clinic.public_id,
        patient_id=record.patient.public_id,
        target=audit.target_of(record),
        changes={"countersigned_at": (None, now)},
    )
    return record


@transaction.atomic
def withdraw(*, actor: Actor, record: ConsentRecord, reason: str, now: datetime) -> ConsentRecord:
    """Record that the patient withdrew this consent, with the reason they gave.

    Raises ConsentError when the reason is missing or too short, or the record is already
    withdrawn. Writes: ConsentRecord.withdrawn_*, an UPDATE audit entry (with the reason).
    """
    reason = clean_reason(
        reason, minimum=MIN_WITHDRAWAL_REASON_LENGTH, error=partial(ConsentError, field="reason")
    )
    record = _locked(record)
    if record.withdrawn_at is not None:
        msg = "This consent is already withdrawn."
        raise ConsentError(msg)
    record.withdrawn_at = now
    record.withdrawn_reason = reason
    record.withdrawn_recorded_by = actor.user
    record.save(update_fields=["withdrawn_at", "withdrawn_reason", "withdrawn_recorded_by"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=ConsentAuditAction.WITHDRAWN,
        actor_roles=actor.roles,
        clinic_id=record.patient.clinic.public_id,
        patient_id=record.patient.public_id,
        target=audit.target_of(record),
        changes={"withdrawn_at": (None, now)},
        detail={"reason": reason},
    )
    return record
