"""Merging a duplicate patient record into the record that stays.

Registration refuses a second record with the same name and birth date unless the user confirms
a different person, but duplicates still arrive (a typo in the birth date corrected later, a
referral registered twice). A clinic administrator merges them:

- everything that points at the duplicate (weights, medications, allergies, diagnoses,
  screenings, consent records, referrals, and whatever later apps add) is re-pointed at the
  record that stays: found by introspecting every foreign key to Patient, so an app added later
  is merged without changing this module;
- contact details the surviving record lacks are filled from the duplicate (never overwritten);
- the duplicate is kept, marked merged (who, when, why), and left out of lists, searches and
  duplicate checks; opening it shows where it went;
- both records' audit trails get an entry listing what moved.

A merge that would break a rule of another table (two signatures of the same consent version,
say) is refused as a whole with the reason; nothing is written.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Final

from django.db import IntegrityError, models, transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import User
from kapclinic.accounts.permissions import Capability, allows
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.exceptions import MergeError
from kapclinic.patients.models import Diagnosis, Patient

MIN_MERGE_REASON_LENGTH: Final = 10
# Filled on the surviving record from the duplicate when the survivor has no value.
FILLABLE_FIELDS: Final = (
    "phone",
    "email",
    "address_line",
    "city",
    "region",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "escort_name",
    "escort_phone",
    "care_prescriber",
    "care_therapist",
    "care_nurse",
)


def _relations() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every many-to-one foreign key to Patient, this app's and others'."""
    found = []
    for rel in Patient._meta.related_objects:
        if rel.one_to_many and isinstance(rel.field, models.ForeignKey):
            found.append((rel.related_model, rel.field.name))
    return sorted(found, key=lambda pair: (pair[0]._meta.label, pair[1]))


def merge_preview(survivor: Patient, duplicate: Patient) -> dict[str, int]:
    """How many records of each kind would move (for the confirmation page): one count per
    relation, so a constant number of queries."""
    counts: dict[str, int] = {}
    for model, field in _relations():
        n = model._default_manager.filter(**{field: duplicate}).count()
        if n:
            counts[str(model._meta.verbose_name_plural)] = n
    return counts


@transaction.atomic
def merge_patients(
    *,
    actor: Actor,
    survivor: Patient,
    duplicate: Patient,
    reason: str,
    now: datetime,
) -> Patient:
    """Merge ``duplicate`` into ``survivor`` (see the module docstring).

    Raises MergeError (nothing written) when the actor may not merge, the records are the same,
    of different clinics, already merged, both linked to a portal sign-in, the reason is shorter
    than MIN_MERGE_REASON_LENGTH, or a moved record would break another table's rule.
    Writes: the moved rows' patient, the survivor's filled fields and portal sign-in, the
    duplicate's merge fields; an UPDATE audit entry on each record.
    """
    if not allows(actor.roles, Capability.MERGE_PATIENTS):
        msg = "Only a clinic administrator can merge patient records."
        raise MergeError(msg)
    reason = clean_reason(
        reason, minimum=MIN_MERGE_REASON_LENGTH, error=partial(MergeError, field="reason")
    )
    if survivor.pk == duplicate.pk:
        msg = "A record cannot be merged into itself."
        raise MergeError(msg, field="mrn")
    locked = {
        p.pk: p
        for p in Patient.objects.select_for_update()
        .select_related("clinic")
        .filter(pk__in=[survivor.pk, duplicate.pk])
        .order_by("pk")  # lock in a fixed order: two opposite merges cannot deadlock
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if survivor.clinic_id != duplicate.clinic_id:
        msg = "Only records of the same clinic can be merged."
        raise MergeError(msg, field="mrn")
    for p in (survivor, duplicate):
        if p.is_merged:
            msg = f"{p.mrn} was already merged into another record."
            raise MergeError(msg, field="mrn")
    if survivor.portal_user_id and duplicate.portal_user_id:
        msg = (
            "Both records have a patient portal sign-in. Close one of them first (Django admin), "
            "then merge."
        )
        raise MergeError(msg)

    moved: dict[str, int] = {}
    try:
        with transaction.atomic():  # a savepoint: a broken rule below rolls back every move
            _keep_one_primary_diagnosis(survivor, duplicate)
            for model, field in _relations():
                n = model._default_manager.filter(**{field: duplicate}).update(**{field: survivor})
                if n:
                    moved[model._meta.label] = n
    except IntegrityError as error:
        msg = (
            "These records cannot be merged automatically: moving them would break a rule of "
            f"the record (for example the same consent version signed on both). Details: {error}"
        )
        raise MergeError(msg) from error

    filled: dict[str, tuple[object, object]] = {}
    for field in FILLABLE_FIELDS:
        mine, theirs = getattr(survivor, field), getattr(duplicate, field)
        if not mine and theirs:
            setattr(survivor, field, theirs)
            filled[field] = (mine, _named(theirs))
    if duplicate.portal_user_id and not survivor.portal_user_id:
        survivor.portal_user, duplicate.portal_user = duplicate.portal_user, None
        duplicate.save(update_fields=["portal_user", "updated_at"])  # free the one-to-one first
        filled["portal_user"] = (None, "moved from the merged record")
    survivor.full_clean()
    survivor.save()

    duplicate.merged_into = survivor
    duplicate.merged_at = now
    duplicate.merged_by = actor.user
    duplicate.merge_reason = reason
    duplicate.save(
        update_fields=["merged_into", "merged_at", "merged_by", "merge_reason", "updated_at"]
    )

    clinic_id = survivor.clinic.public_id
    detail = {"reason": reason, "moved": moved}
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=PatientAuditAction.MERGED_INTO,
        actor_roles=actor.roles,
        clinic_id=clinic_id,
        patient_id=duplicate.public_id,
        target=audit.target_of(duplicate),
        changes={"merged_into": (None, survivor.mrn)},
        detail=detail,
    )
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=PatientAuditAction.MERGED_FROM,
        actor_roles=actor.roles,
        clinic_id=clinic_id,
        patient_id=survivor.public_id,
        target=audit.target_of(survivor),
        changes=filled,
        detail={**detail, "merged_record": duplicate.mrn},
    )
    return survivor


def _keep_one_primary_diagnosis(survivor: Patient, duplicate: Patient) -> None:
    """Both records may have an active primary diagnosis; the survivor's stays primary."""
    if Diagnosis.objects.filter(
        patient=survivor, is_primary=True, status=Diagnosis.Status.ACTIVE
    ).exists():
        Diagnosis.objects.filter(
            patient=duplicate, is_primary=True, status=Diagnosis.Status.ACTIVE
        ).update(is_primary=False)


def _named(value: object) -> object:
    return value.email if isinstance(value, User) else value
