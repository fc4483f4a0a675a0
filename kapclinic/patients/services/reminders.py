"""The patient's consent to appointment reminders by e-mail: recorded by the patient in the
portal or by staff who edit the patient's record, each change audited with who made it.

Intake records contact details but no consent to be contacted, so every patient starts "not
recorded" and gets no reminder until a "yes" is recorded here
(``kapclinic.scheduling.notify`` sends only then)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import PATIENT, Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.exceptions import ReminderConsentError
from kapclinic.patients.models import Patient, ReminderConsent

ANSWERS = (ReminderConsent.YES, ReminderConsent.NO)


def _by(actor: Actor, patient: Patient) -> str:
    """ "patient" for the patient's own portal account, "staff" for someone who edits the
    record in the patient's clinic; refused for anyone else."""
    if PATIENT in actor.roles and patient.portal_user_id == actor.user.pk:
        return "patient"
    if actor.in_clinic(patient.clinic).can(Capability.EDIT_PATIENT):
        return "staff"
    msg = "Only the patient, or staff who edit the patient's record, can change this."
    raise ReminderConsentError(msg)


def set_email_reminders(*, actor: Actor, patient: Patient, consent: str, now: datetime) -> Patient:
    """Record whether ``patient`` wants appointment reminders by e-mail ("yes" or "no"; a
    recorded answer is never taken back to "not recorded"). Writes nothing when it is already
    the answer."""
    if consent not in ANSWERS:
        msg = "Choose yes or no."
        raise ReminderConsentError(msg)
    by = _by(actor, patient)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
        old = locked.email_reminders
        if old == consent:
            return locked
        locked.email_reminders = ReminderConsent(consent)
        locked.email_reminders_changed_at = now
        locked.save(update_fields=["email_reminders", "email_reminders_changed_at", "updated_at"])
        audit.record(
            actor=actor.user,
            operation=Operation.UPDATE,
            action=PatientAuditAction.REMINDER_CONSENT_CHANGED,
            actor_roles=actor.roles,
            clinic_id=locked.clinic.public_id,
            patient_id=locked.public_id,
            target=audit.target_of(locked),
            changes={"email_reminders": (old, consent)},
            detail={"by": by},
        )
    return locked
