"""Reads of licensed wording. ``instrument_for_clinic`` is the one way to get an instrument as a
clinic gives it: starting a questionnaire, the tablet, the one-time link page, the portal, the
API, the plan's links, the safety task page and the FHIR Questionnaire all go through it (an
architecture test keeps it so). Every function runs a fixed number of queries, whatever the data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from kapclinic.accounts.models import Clinic
from kapclinic.measurement.exceptions import InstrumentDefinitionError, UnknownInstrumentError
from kapclinic.measurement.instruments import Instrument, all_instruments, get_instrument
from kapclinic.measurement.instruments.fhir import FhirDict, questionnaire
from kapclinic.measurement.licensing.wording import (
    apply,
    from_stored,
    licence_words,
    needs_loading,
    short_name,
    unavailable_reason,
)
from kapclinic.measurement.models import LicensedWording

logger = logging.getLogger(__name__)


def _in_use(clinic_id: int) -> QuerySet[LicensedWording]:
    return LicensedWording.objects.filter(clinic_id=clinic_id, status=LicensedWording.Status.IN_USE)


def _applied(definition: Instrument, wording: LicensedWording | None) -> Instrument:
    if wording is None:
        return definition
    try:
        return apply(definition, from_stored(wording.texts))
    except (InstrumentDefinitionError, AttributeError, TypeError, ValueError):
        # Checked when loaded, and a shipped version never changes: a row that no longer fits
        # was altered outside the services. Refuse it (the instrument stays unavailable) rather
        # than show a patient half a wording.
        logger.exception(
            "Licensed wording %s does not fit %s version %s: not used.",
            wording.public_id,
            definition.code,
            definition.version,
        )
        return definition


def instrument_for_clinic(clinic_id: int, code: str, version: str | None = None) -> Instrument:
    """The instrument ``code`` (``version``, or its current one) as clinic ``clinic_id`` gives
    it: with the clinic's licensed wording when it has one in use (R-OUT-4, R-OUT-5: MADRS and
    the C-SSRS only under the clinic's licence). Without one, a licensed instrument comes back
    without item texts (``has_texts`` false), so it cannot be shown.

    One query for an instrument that ships no wording, none otherwise. Raises
    UnknownInstrumentError for an unknown code or version."""
    definition = get_instrument(code, version)
    if not needs_loading(definition):
        return definition
    wording = (
        _in_use(clinic_id)
        .filter(instrument_code=definition.code, instrument_version=definition.version)
        .only("public_id", "texts")
        .first()
    )
    return _applied(definition, wording)


def clinic_questionnaire(
    clinic_id: int, code: str, version: str | None = None, *, canonical_base: str
) -> FhirDict:
    """The FHIR Questionnaire of the instrument as the clinic gives it: with the clinic's
    wording ("active"), or codes only ("draft", saying why) when it has none loaded."""
    return questionnaire(
        instrument_for_clinic(clinic_id, code, version), canonical_base=canonical_base
    )


def _current_versions() -> list[Instrument]:
    latest: dict[str, Instrument] = {}
    for instrument in all_instruments():  # ordered by code, then version
        latest[instrument.code] = instrument
    return list(latest.values())


@dataclass(frozen=True)
class Choice:
    """One instrument in a picker: whether staff can give it in this clinic, and why not."""

    instrument: Instrument
    available: bool
    reason: str = ""  # why it is not available ("" when it is)

    @property
    def name(self) -> str:
        return short_name(self.instrument)


def list_instrument_choices(clinic_id: int) -> list[Choice]:
    """The current version of every instrument, as the picker lists them: available (its
    wording ships, or the clinic loaded it) or not, with why. One query."""
    loaded = set(_in_use(clinic_id).values_list("instrument_code", "instrument_version"))
    choices = []
    for instrument in _current_versions():
        ready = not needs_loading(instrument) or (instrument.code, instrument.version) in loaded
        reason = "" if ready else unavailable_reason(instrument)
        choices.append(Choice(instrument=instrument, available=ready, reason=reason))
    return choices


def administrable_codes(clinic_id: int) -> set[str]:
    """The codes of the instruments staff can give to a patient of this clinic now."""
    return {c.instrument.code for c in list_instrument_choices(clinic_id) if c.available}


@dataclass(frozen=True)
class LicenceRow:
    """An instrument on the admin's page: its licence in words and the wording in use here."""

    instrument: Instrument
    licence: str
    needs_loading: bool
    wording: LicensedWording | None  # the load in use in this clinic, if any

    @property
    def name(self) -> str:
        return short_name(self.instrument)


def list_instrument_licences(clinic: Clinic) -> list[LicenceRow]:
    """Every instrument's current version with its licence status and the clinic's wording in
    use (who loaded it, when, under which licence). One query."""
    in_use = {
        (w.instrument_code, w.instrument_version): w
        for w in _in_use(clinic.pk).select_related("loaded_by")
    }
    return [
        LicenceRow(
            instrument=instrument,
            licence=licence_words(instrument),
            needs_loading=needs_loading(instrument),
            wording=in_use.get((instrument.code, instrument.version)),
        )
        for instrument in _current_versions()
    ]


@dataclass(frozen=True)
class InstrumentLicence:
    row: LicenceRow
    shown_as: Instrument  # as the clinic gives it (with the wording in use, if any)
    history: list[LicensedWording]  # every load of this instrument here, newest first


def get_instrument_licence(clinic: Clinic, code: str) -> InstrumentLicence:
    """One instrument's page for the admin: its licence, the wording in use (applied, for a
    preview) and every earlier load. Raises Http404 for an unknown code. Two queries."""
    try:
        instrument = get_instrument(code)
    except UnknownInstrumentError as error:
        raise Http404 from error
    history = list(
        LicensedWording.objects.filter(clinic=clinic, instrument_code=instrument.code)
        .select_related("loaded_by", "ended_by")
        .order_by("-loaded_at", "-id")
    )
    current = next(
        (
            w
            for w in history
            if w.status == LicensedWording.Status.IN_USE
            and w.instrument_version == instrument.version
        ),
        None,
    )
    row = LicenceRow(
        instrument=instrument,
        licence=licence_words(instrument),
        needs_loading=needs_loading(instrument),
        wording=current,
    )
    return InstrumentLicence(row=row, shown_as=_applied(instrument, current), history=history)


def access_wording(clinic: Clinic, public_id: UUID) -> LicensedWording:
    """A load of ``clinic``'s wording; Http404 for a missing one and another clinic's alike."""
    wording = (
        LicensedWording.objects.filter(clinic=clinic, public_id=public_id)
        .select_related("loaded_by")
        .first()
    )
    if wording is None:
        raise Http404
    return wording
