"""Writes about referrals; each audited in its transaction."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.exceptions import DomainError
from kapclinic.patients.models import Patient
from kapclinic.patients.services import PatientDetails, register_patient
from kapclinic.referrals.audit_actions import ReferralAuditAction
from kapclinic.referrals.models import Referral
from kapclinic.referrals.selectors import MAX_REQUESTS_PER_HOUR as MAX_REQUESTS_PER_HOUR
from kapclinic.referrals.selectors import sender_is_limited

# Public requests per sender address per hour (abuse protection, not a clinical rule).
TOO_MANY_REQUESTS = (
    "Too many requests were sent from this connection in the last hour. "
    "Please call the clinic instead."
)


class TooManyRequestsError(DomainError):
    pass


@dataclass(frozen=True)
class ContactDetails:
    given_name: str
    family_name: str
    birth_date: date | None
    phone: str
    email: str
    contact_preference: str
    message: str


def sender_key(ip_address: str | None) -> str:
    """A keyed hash of the address: enough to count requests, useless to identify anyone."""
    raw = (ip_address or "unknown").encode()
    return hmac.new(settings.SECRET_KEY.encode(), raw, hashlib.sha256).hexdigest()


def _create(*, clinic: Clinic, source: str, contact: ContactDetails, **extra: Any) -> Referral:
    referral = Referral(
        clinic=clinic,
        source=source,
        given_name=contact.given_name.strip(),
        family_name=contact.family_name.strip(),
        birth_date=contact.birth_date,
        phone=contact.phone.strip(),
        email=contact.email.strip().lower(),
        contact_preference=contact.contact_preference,
        message=contact.message.strip(),
        **extra,
    )
    referral.full_clean()
    referral.save()
    return referral


@transaction.atomic
def submit_self_referral(
    *,
    clinic: Clinic,
    contact: ContactDetails,
    answers: dict[str, bool | None] | None,
    sender: str,
    now: datetime,
) -> Referral:
    """A request from the public page. ``answers`` is None unless the person chose to share
    them. Raises TooManyRequestsError past MAX_REQUESTS_PER_HOUR from one sender."""
    if sender_is_limited(sender, now):
        raise TooManyRequestsError(TOO_MANY_REQUESTS)
    referral = _create(
        clinic=clinic,
        source=Referral.Source.SELF,
        contact=contact,
        prescreen_answers=answers,
        sender_key=sender,
    )
    audit.record(
        actor=None,
        operation=Operation.CREATE,
        action=ReferralAuditAction.SELF_SUBMITTED,
        clinic_id=clinic.public_id,
        target=audit.target_of(referral),
        detail={"shared_answers": answers is not None},
    )
    return referral


@transaction.atomic
def record_clinician_referral(
    *,
    actor: Actor,
    clinic: Clinic,
    contact: ContactDetails,
    clinician: str,
    organisation: str,
    clinician_contact: str,
) -> Referral:
    referral = _create(
        clinic=clinic,
        source=Referral.Source.CLINICIAN,
        contact=contact,
        referring_clinician=clinician.strip(),
        referring_organisation=organisation.strip(),
        referring_contact=clinician_contact.strip(),
        recorded_by=actor.user,
    )
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=ReferralAuditAction.CLINICIAN_RECORDED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(referral),
    )
    return referral


@transaction.atomic
def triage_referral(*, actor: Actor, referral: Referral, status: str, note: str) -> None:
    if referral.status == Referral.Status.REGISTERED:
        msg = "This referral already led to a registered patient."
        raise DomainError(msg)
    old = referral.status
    referral.status = status
    referral.handled_by = actor.user
    if note.strip():
        referral.triage_note = (referral.triage_note + "\n" + note.strip()).strip()
    referral.save(update_fields=["status", "handled_by", "triage_note", "updated_at"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=ReferralAuditAction.TRIAGED,
        actor_roles=actor.roles,
        clinic_id=referral.clinic.public_id,
        target=audit.target_of(referral),
        changes={"status": (old, status)},
    )


@transaction.atomic
def register_from_referral(
    *,
    actor: Actor,
    referral: Referral,
    details: PatientDetails,
    confirmed_different_person: bool,
) -> Patient:
    """Register the referred person as a patient (duplicate rules of register_patient apply)
    and link the referral to them."""
    if referral.status == Referral.Status.REGISTERED:
        msg = "This referral already led to a registered patient."
        raise DomainError(msg)
    patient = register_patient(
        actor=actor,
        clinic=referral.clinic,
        details=details,
        confirmed_different_person=confirmed_different_person,
    )
    _close_as_registered(
        actor=actor, referral=referral, patient=patient, action=ReferralAuditAction.REGISTERED
    )
    return patient


def _close_as_registered(
    *, actor: Actor, referral: Referral, patient: Patient, action: ReferralAuditAction
) -> None:
    """Point the referral at the patient's record and close it, audited (caller's transaction)."""
    old = referral.status
    referral.status = Referral.Status.REGISTERED
    referral.patient = patient
    referral.handled_by = actor.user
    referral.save(update_fields=["status", "patient", "handled_by", "updated_at"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=action,
        actor_roles=actor.roles,
        clinic_id=referral.clinic.public_id,
        patient_id=patient.public_id,
        target=audit.target_of(referral),
        changes={"status": (old, referral.status), "patient": (None, patient.mrn)},
    )


@transaction.atomic
def link_to_existing_patient(*, actor: Actor, referral: Referral, patient: Patient) -> Referral:
    """The referred person is already a patient (found by the duplicate check): close the
    referral as registered, pointing at their existing record, instead of a second record."""
    if referral.status == Referral.Status.REGISTERED:
        msg = "This referral already led to a registered patient."
        raise DomainError(msg)
    if patient.clinic_id != referral.clinic_id or patient.is_merged:
        msg = "That record is not a current patient of the referral's clinic."
        raise DomainError(msg)
    _close_as_registered(
        actor=actor,
        referral=referral,
        patient=patient,
        action=ReferralAuditAction.LINKED_TO_EXISTING_PATIENT,
    )
    return referral
