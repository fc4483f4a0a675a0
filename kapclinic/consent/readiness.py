"""May a dosing session start? The one check the dosing workflow calls before it begins.

Every blocking reason is listed in plain language; the answer is never "ready" by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from kapclinic.consent.models import TreatmentType
from kapclinic.consent.selectors import ConsentStatus, consent_status
from kapclinic.measurement.safety.services import blocking_safety_reasons
from kapclinic.patients.models import Patient
from kapclinic.screening.models import DecisionOutcome, ProtocolFamily
from kapclinic.screening.selectors import current_eligibility

# The screening protocol family that decides eligibility for each treatment type (KAP uses
# racemic ketamine).
ELIGIBILITY_FAMILY: Final[dict[TreatmentType, ProtocolFamily]] = {
    TreatmentType.ESKETAMINE_REMS: ProtocolFamily.ESKETAMINE,
    TreatmentType.RACEMIC_KETAMINE_OFF_LABEL: ProtocolFamily.RACEMIC_KETAMINE,
    TreatmentType.KETAMINE_ASSISTED_PSYCHOTHERAPY: ProtocolFamily.RACEMIC_KETAMINE,
    TreatmentType.TALK_THERAPY: ProtocolFamily.TALK_THERAPY,
}
# R-REMS-1 (clinical-reference §1.2, §11.B): patient REMS enrolment and setting certification
# must be recorded before the first esketamine treatment. kapclinic does not record them yet.
REMS_NOT_RECORDED: Final = (
    "REMS: the patient's Spravato REMS enrolment and the setting's certification are not "
    "recorded in kapclinic yet."
)
# An urgent suicide-risk alert holds every session that gives a dose (R-OUT-5). Only talk
# therapy is exempt (a patient at risk needs their therapist more, not less); a treatment type
# added later is held unless it is listed here.
NOT_HELD_BY_SAFETY_ALERTS: Final = frozenset({TreatmentType.TALK_THERAPY})


@dataclass(frozen=True)
class Readiness:
    ready: bool
    blocking_reasons: tuple[str, ...]
    consent: ConsentStatus


def _eligibility_reasons(patient: Patient, treatment_type: TreatmentType) -> list[str]:
    decision = current_eligibility(patient, ELIGIBILITY_FAMILY[treatment_type])
    if decision is None:
        return ["Eligibility not recorded: no signed eligibility decision for this treatment."]
    if decision.allows_treatment:
        return []
    if decision.outcome == DecisionOutcome.NOT_ELIGIBLE:
        return ["Not eligible: the signed eligibility decision says the patient is not eligible."]
    return [
        f"Eligibility unclear: the signed decision's outcome ({decision.outcome!r}) is not known."
    ]


def can_start_dosing(
    patient: Patient, treatment_type: TreatmentType, *, now: datetime
) -> Readiness:
    """Whether a dosing session of ``treatment_type`` may start for ``patient`` at ``now``:
    valid consent to the latest document version, a signed eligible decision, no urgent
    safety alert without a prescriber's clearing evaluation (R-OUT-5; not for talk therapy)
    and, for esketamine, the REMS records. Read-only."""
    consent = consent_status(patient, treatment_type, now=now)
    reasons: list[str] = []
    if not consent.valid:
        reasons.append(f"Consent: {consent.reason}")
    reasons.extend(_eligibility_reasons(patient, treatment_type))
    if treatment_type not in NOT_HELD_BY_SAFETY_ALERTS:
        reasons.extend(blocking_safety_reasons(patient))
    if treatment_type == TreatmentType.ESKETAMINE_REMS:
        reasons.append(REMS_NOT_RECORDED)
    return Readiness(ready=not reasons, blocking_reasons=tuple(reasons), consent=consent)
