"""Writes of licensed wording: a clinic admin loads an instrument's wording under the licence
they declare, or retires it with a reason. Each runs in one transaction with its audit entry,
which names the wording by its SHA-256 only, never its text (the wording is licensed content,
not the clinic's to copy into other records)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from django.db import IntegrityError, transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason, visible_text
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.exceptions import UnknownInstrumentError
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.licensing.exceptions import LicensedWordingError
from kapclinic.measurement.licensing.wording import parse_wording, sha256_of
from kapclinic.measurement.models import LicensedWording

MAX_LICENCE_LENGTH: Final = 200


def _declared(value: str, *, field: str, what: str) -> str:
    text = visible_text(value)
    if not text:
        msg = f"Give the {what}."
        raise LicensedWordingError(msg, field=field)
    if len(text) > MAX_LICENCE_LENGTH:
        msg = f"The {what} is longer than {MAX_LICENCE_LENGTH} characters."
        raise LicensedWordingError(msg, field=field)
    return text


def _refused_reason(message: str) -> LicensedWordingError:
    return LicensedWordingError(message, field="reason")


def _locked_in_use(clinic: Clinic, code: str, version: str) -> LicensedWording | None:
    return (
        LicensedWording.objects.select_for_update()
        .filter(
            clinic=clinic,
            instrument_code=code,
            instrument_version=version,
            status=LicensedWording.Status.IN_USE,
        )
        .first()
    )


@transaction.atomic
def load_wording(
    *,
    actor: Actor,
    clinic: Clinic,
    instrument_code: str,
    raw: str,
    licence_holder: str,
    licence_reference: str,
    licence_confirmed: bool,
    now: datetime,
) -> LicensedWording:
    """Load the wording file ``raw`` for the current version of ``instrument_code`` in
    ``clinic``: checked item by item (``parse_wording``, then ``with_licensed_texts``); the
    load in use until now, if any, is superseded (kept). From the commit on, staff can give the
    instrument in this clinic (``instrument_for_clinic``; R-OUT-4, R-OUT-5).

    Raises LicensedWordingError, writing nothing, for an unknown instrument, one that ships its
    own wording, a file with any problem (all listed), a licence holder or reference missing,
    a licence not confirmed, or the very wording and licence already in use. Writes the
    LicensedWording, the superseded one's end, and an audit entry (old → new hash and licence)."""
    try:
        definition = get_instrument(instrument_code)
    except UnknownInstrumentError as error:
        msg = "There is no such instrument."
        raise LicensedWordingError(msg) from error
    wording = parse_wording(definition, raw)
    holder = _declared(licence_holder, field="licence_holder", what="licence holder")
    reference = _declared(
        licence_reference, field="licence_reference", what="licence or agreement reference"
    )
    if not licence_confirmed:
        msg = "Confirm the clinic's licence: the wording is loaded only under it."
        raise LicensedWordingError(
            msg,
            field="licence_confirmed",
        )
    stored = wording.stored()
    digest = sha256_of(stored)
    current = _locked_in_use(clinic, definition.code, definition.version)
    if current is not None and (
        current.texts_sha256,
        current.licence_holder,
        current.licence_reference,
    ) == (digest, holder, reference):
        msg = "This wording is already in use under the same licence: nothing to change."
        raise LicensedWordingError(
            msg,
            field="wording",
        )
    try:
        # A savepoint: two admins loading at once meet the one-in-use constraint, and the
        # second is told, instead of a server error.
        with transaction.atomic():
            if current is not None:
                current.status = LicensedWording.Status.SUPERSEDED
                current.ended_at = now
                current.ended_by = actor.user
                current.end_reason = "Replaced by a newer load."
                # Ended first: the constraint allows one load in use at a time.
                current.save(
                    update_fields=["status", "ended_at", "ended_by", "end_reason", "updated_at"]
                )
            loaded = LicensedWording.objects.create(
                clinic=clinic,
                instrument_code=definition.code,
                instrument_version=definition.version,
                texts=stored,
                texts_sha256=digest,
                licence_holder=holder,
                licence_reference=reference,
                loaded_by=actor.user,
                loaded_at=now,
            )
            if current is not None:
                current.superseded_by = loaded
                current.save(update_fields=["superseded_by", "updated_at"])
    except IntegrityError as error:
        msg = (
            "Someone else loaded this instrument's wording at the same moment: open the page "
            "again to see theirs, then load yours if it is still needed."
        )
        raise LicensedWordingError(
            msg,
            field="wording",
        ) from error
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=MeasurementAuditAction.LICENSED_WORDING_LOADED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(loaded),
        changes={
            "wording_sha256": (current.texts_sha256 if current else None, digest),
            "licence_holder": (current.licence_holder if current else None, holder),
            "licence_reference": (current.licence_reference if current else None, reference),
        },
        detail={
            "instrument": definition.code,
            "version": definition.version,
            "items": len(wording.items),
            "supersedes": str(current.public_id) if current else None,
        },
    )
    return loaded


@transaction.atomic
def retire_wording(
    *,
    actor: Actor,
    wording: LicensedWording,
    reason: str,
    now: datetime,
) -> LicensedWording:
    """Stop using a clinic's wording (the licence ended, the wrong file was loaded): kept, no
    longer shown. From the commit on the instrument cannot be given in the clinic until a new
    load, and responses still in progress with it can no longer be shown.

    Raises LicensedWordingError for a reason the one reason rule refuses
    (kapclinic.core.reasons) or a wording no longer in use. Writes the wording's end and an
    audit entry (status old → new, reason)."""
    reason = clean_reason(reason, error=_refused_reason)
    locked = (
        LicensedWording.objects.select_for_update(of=("self",))
        .select_related("clinic")
        .get(pk=wording.pk)
    )
    if locked.status != LicensedWording.Status.IN_USE:
        msg = (
            f"This wording is no longer in use ({locked.get_status_display().lower()}): "
            "there is nothing to retire."
        )
        raise LicensedWordingError(msg)
    old = locked.status
    locked.status = LicensedWording.Status.RETIRED
    locked.ended_at = now
    locked.ended_by = actor.user
    locked.end_reason = reason
    locked.save(update_fields=["status", "ended_at", "ended_by", "end_reason", "updated_at"])
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.LICENSED_WORDING_RETIRED,
        actor_roles=actor.roles,
        clinic_id=locked.clinic.public_id,
        target=audit.target_of(locked),
        changes={"status": (old, locked.status)},
        detail={
            "instrument": locked.instrument_code,
            "version": locked.instrument_version,
            "wording_sha256": locked.texts_sha256,
            "reason": reason,
        },
    )
    return locked
