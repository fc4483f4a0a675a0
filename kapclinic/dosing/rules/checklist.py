"""The pre-dose checklist of a dosing session (issue 15.3), decided from plain facts.

Which items a session checks, and their parameters (fasting hours, the blood pressure that holds
the dose), come from its protocol version (``PreDoseChecks``); the facts come from the record
(``services.checklist``). Each item is one of:

- passed: the facts say so;
- pending: nobody has recorded it yet;
- failed: it blocks dosing until it passes or, where allowed, a prescriber overrides it with a
  reason;
- held (blood pressure only, R-SCR-4): the session is held for a prescriber's documented
  decision;
- overridden: a prescriber's reason stands for it;
- not applicable: e.g. the pregnancy question for a patient who cannot become pregnant.

Some items are never overridden, because a rule says "block" with no clinical judgement left to
make or because they have their own clearing path:
- identity (the wrong patient is never dosed);
- consent and eligibility (``can_start_dosing``: only a new consent or a signed eligibility
  decision changes it);
- the suicide-risk safety hold (R-OUT-5: cleared only by a prescriber's evaluation on the
  safety task, never from the checklist);
- the REMS items (R-REMS-1/2: "block administration unless ..." for esketamine, hard in §11.B).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from kapclinic.scheduling.protocols.definition import CheckItem, PreDoseChecks


class CheckStatus(StrEnum):
    PASSED = "passed"
    PENDING = "pending"
    FAILED = "failed"
    HELD = "held"
    OVERRIDDEN = "overridden"
    NOT_APPLICABLE = "not_applicable"


CLEAR: Final = frozenset({CheckStatus.PASSED, CheckStatus.OVERRIDDEN, CheckStatus.NOT_APPLICABLE})


class Pregnancy(StrEnum):
    """The answer to the pregnancy-status question (R-SCR-2, R-SCR-3)."""

    NOT_PREGNANT = "not_pregnant"
    PREGNANT = "pregnant"
    UNSURE = "unsure"


LABELS: Final[dict[CheckItem, str]] = {
    CheckItem.IDENTITY: "Identity confirmed",
    CheckItem.CONSENT_ELIGIBILITY: "Consent and eligibility valid",
    CheckItem.SAFETY: "No open suicide-risk safety hold",
    CheckItem.FASTING: "Fasting as the protocol asks",
    CheckItem.ESCORT: "Escort home and no-driving instruction",
    CheckItem.PREGNANCY: "Pregnancy status",
    CheckItem.MEDICATIONS: "Medication changes since the last visit",
    CheckItem.VITALS: "Pre-dose blood pressure",
    CheckItem.QUESTIONNAIRES: "Pre-session questionnaires done",
    CheckItem.REMS_ENROLMENT: "Patient enrolled in the Spravato REMS",
    CheckItem.REMS_SETTING: "Setting certified under the REMS",
    CheckItem.REMS_PRESCRIBER: "Prescriber on site",
    CheckItem.REMS_PULSE_OXIMETER: "Pulse oximeter available",
}

RULES: Final[dict[CheckItem, tuple[str, ...]]] = {
    CheckItem.IDENTITY: ("R-SCR-3",),
    CheckItem.CONSENT_ELIGIBILITY: ("R-SCR-1",),
    CheckItem.SAFETY: ("R-OUT-5",),
    CheckItem.FASTING: ("R-REMS-8",),
    CheckItem.ESCORT: ("R-DC-1", "R-REMS-6"),
    CheckItem.PREGNANCY: ("R-SCR-2",),
    # The label's interaction warnings (the classes of kapclinic.patients.interactions); no rule id.
    CheckItem.MEDICATIONS: (),
    CheckItem.VITALS: ("R-SCR-4", "R-REMS-3"),
    CheckItem.QUESTIONNAIRES: ("R-OUT-9",),
    CheckItem.REMS_ENROLMENT: ("R-REMS-1",),
    CheckItem.REMS_SETTING: ("R-REMS-1",),
    CheckItem.REMS_PRESCRIBER: ("R-REMS-2",),
    CheckItem.REMS_PULSE_OXIMETER: ("R-REMS-2",),
}

# Never overridden from the checklist (see the module docstring for why).
NEVER_OVERRIDDEN: Final = frozenset(
    {
        CheckItem.IDENTITY,
        CheckItem.CONSENT_ELIGIBILITY,
        CheckItem.SAFETY,
        CheckItem.REMS_ENROLMENT,
        CheckItem.REMS_SETTING,
        CheckItem.REMS_PRESCRIBER,
        CheckItem.REMS_PULSE_OXIMETER,
    }
)


@dataclass(frozen=True)
class ChecklistFacts:
    """What the record says, in plain values. ``None`` answers: not recorded yet."""

    now: datetime
    identity_confirmed: bool | None = None
    # can_start_dosing's blocking reasons for consent and eligibility, and the safety hold's.
    readiness_reasons: tuple[str, ...] = ()
    safety_reasons: tuple[str, ...] = ()
    last_food_at: datetime | None = None
    last_liquid_at: datetime | None = None
    escort_recorded: bool = False
    no_driving_acknowledged: bool = False
    pregnancy_possible: bool = True
    pregnancy: Pregnancy | None = None
    medications_reviewed: bool | None = None
    # Medications with an interaction class added or changed since the last visit (their names
    # and classes, e.g. "lorazepam (benzodiazepine)").
    interaction_changes: tuple[str, ...] = ()
    systolic: int | None = None
    diastolic: int | None = None
    open_questionnaires: tuple[str, ...] = ()
    rems_enrolment: bool | None = None
    rems_setting: bool | None = None
    rems_prescriber: bool | None = None
    rems_pulse_oximeter: bool | None = None
    # A prescriber's reason per overridden item (never for NEVER_OVERRIDDEN).
    overrides: Mapping[CheckItem, str] | None = None


@dataclass(frozen=True)
class CheckResult:
    item: CheckItem
    status: CheckStatus
    reason: str  # why it is not clear, in words ("" when passed)
    overridable: bool

    @property
    def label(self) -> str:
        return LABELS[self.item]

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return RULES[self.item]

    @property
    def clear(self) -> bool:
        return self.status in CLEAR


def _yes(answer: bool | None, failed: str, pending: str) -> tuple[CheckStatus, str]:
    if answer is None:
        return CheckStatus.PENDING, pending
    return (CheckStatus.PASSED, "") if answer else (CheckStatus.FAILED, failed)


def _fasting(facts: ChecklistFacts, config: PreDoseChecks) -> tuple[CheckStatus, str]:
    """R-REMS-8: no food for ``fasting_food_hours``, no liquids for ``fasting_liquid_minutes``
    before the dose (the protocol's values)."""
    if facts.last_food_at is None or facts.last_liquid_at is None:
        return CheckStatus.PENDING, "Record when the patient last ate and last drank."
    problems = []
    food = timedelta(hours=config.fasting_food_hours)
    liquid = timedelta(minutes=config.fasting_liquid_minutes)
    if facts.now - facts.last_food_at < food:
        problems.append(f"ate less than {config.fasting_food_hours} hours ago")
    if facts.now - facts.last_liquid_at < liquid:
        problems.append(f"drank less than {config.fasting_liquid_minutes} minutes ago")
    if problems:
        return CheckStatus.FAILED, "The patient " + " and ".join(problems) + "."
    return CheckStatus.PASSED, ""


def _escort(facts: ChecklistFacts) -> tuple[CheckStatus, str]:
    """R-DC-1, R-REMS-6: an adult takes the patient home; the no-driving instruction is
    acknowledged."""
    missing = []
    if not facts.escort_recorded:
        missing.append("name the adult who takes the patient home")
    if not facts.no_driving_acknowledged:
        missing.append("record that the patient acknowledged the no-driving instruction")
    if not missing:
        return CheckStatus.PASSED, ""
    return CheckStatus.PENDING, ("; ".join(missing)).capitalize() + "."


def _pregnancy(facts: ChecklistFacts) -> tuple[CheckStatus, str]:
    """R-SCR-2: pregnancy is a flag a prescriber decides on with a reason; R-SCR-3 asks the
    status (a test is NOT FOUND as a requirement: the question is asked, not a test)."""
    if not facts.pregnancy_possible:
        return CheckStatus.NOT_APPLICABLE, ""
    if facts.pregnancy is None:
        return CheckStatus.PENDING, "Ask and record the patient's pregnancy status."
    if facts.pregnancy is Pregnancy.NOT_PREGNANT:
        return CheckStatus.PASSED, ""
    said = "is pregnant" if facts.pregnancy is Pregnancy.PREGNANT else "may be pregnant"
    return CheckStatus.FAILED, f"The patient {said}: a prescriber decides."


def _medications(facts: ChecklistFacts) -> tuple[CheckStatus, str]:
    """Changes since the last visit in the classes that matter with ketamine (the REMS form's
    concomitant medications, §1.2): reviewed by the nurse; a new or changed one of those
    classes needs a prescriber's decision."""
    if facts.medications_reviewed is None:
        return CheckStatus.PENDING, "Review the medication list with the patient."
    if not facts.medications_reviewed:
        return CheckStatus.FAILED, "The medication list was not reviewed."
    if facts.interaction_changes:
        changed = ", ".join(facts.interaction_changes)
        return CheckStatus.FAILED, f"Changed since the last visit: {changed}. A prescriber decides."
    return CheckStatus.PASSED, ""


def _vitals(facts: ChecklistFacts, config: PreDoseChecks) -> tuple[CheckStatus, str]:
    """R-SCR-4 (thresholds from the protocol, default 140/90, UNVERIFIED), R-REMS-3 (BP before
    the dose): above either number the session is held for a prescriber's decision."""
    if facts.systolic is None or facts.diastolic is None:
        return CheckStatus.PENDING, "Record the pre-dose blood pressure."
    limit = f"{config.bp_hold_systolic}/{config.bp_hold_diastolic}"
    if facts.systolic > config.bp_hold_systolic or facts.diastolic > config.bp_hold_diastolic:
        return (
            CheckStatus.HELD,
            f"Blood pressure {facts.systolic}/{facts.diastolic} is above {limit}: held for a "
            "prescriber's documented decision.",
        )
    return CheckStatus.PASSED, ""


def _listed(reasons: tuple[str, ...]) -> tuple[CheckStatus, str]:
    return (CheckStatus.FAILED, " ".join(reasons)) if reasons else (CheckStatus.PASSED, "")


def _decide(
    item: CheckItem, facts: ChecklistFacts, config: PreDoseChecks
) -> tuple[CheckStatus, str]:
    if item is CheckItem.IDENTITY:
        return _yes(
            facts.identity_confirmed,
            "Identity not confirmed: do not dose.",
            "Confirm the patient's identity with two identifiers.",
        )
    if item is CheckItem.CONSENT_ELIGIBILITY:
        return _listed(facts.readiness_reasons)
    if item is CheckItem.SAFETY:
        return _listed(facts.safety_reasons)
    if item is CheckItem.FASTING:
        return _fasting(facts, config)
    if item is CheckItem.ESCORT:
        return _escort(facts)
    if item is CheckItem.PREGNANCY:
        return _pregnancy(facts)
    if item is CheckItem.MEDICATIONS:
        return _medications(facts)
    if item is CheckItem.VITALS:
        return _vitals(facts, config)
    if item is CheckItem.QUESTIONNAIRES:
        if facts.open_questionnaires:
            names = ", ".join(facts.open_questionnaires)
            return CheckStatus.FAILED, f"Not answered yet: {names}."
        return CheckStatus.PASSED, ""
    answers = {
        CheckItem.REMS_ENROLMENT: facts.rems_enrolment,
        CheckItem.REMS_SETTING: facts.rems_setting,
        CheckItem.REMS_PRESCRIBER: facts.rems_prescriber,
        CheckItem.REMS_PULSE_OXIMETER: facts.rems_pulse_oximeter,
    }
    return _yes(
        answers[item],
        f"{LABELS[item]}: no. Esketamine is not given (REMS).",
        f"Record: {LABELS[item].lower()}.",
    )


def evaluate(config: PreDoseChecks, facts: ChecklistFacts) -> tuple[CheckResult, ...]:
    """Each item of ``config`` with its status, in the protocol's order."""
    overrides = facts.overrides or {}
    results = []
    for item in config.items:
        status, reason = _decide(item, facts, config)
        overridable = item not in NEVER_OVERRIDDEN
        if status not in CLEAR and overridable and overrides.get(item):
            status = CheckStatus.OVERRIDDEN
            reason = f"{reason} Overridden: {overrides[item]}"
        results.append(CheckResult(item, status, reason, overridable))
    return tuple(results)


def all_clear(results: tuple[CheckResult, ...]) -> bool:
    """Dosing may start: every item passed, was overridden or does not apply."""
    return all(result.clear for result in results)


def hold_reason(results: tuple[CheckResult, ...]) -> str | None:
    """R-SCR-4: why the session is held for a prescriber's decision, or None."""
    return next((r.reason for r in results if r.status is CheckStatus.HELD), None)


def blocking_text(results: tuple[CheckResult, ...]) -> str:
    """The items that block dosing, in words (for the refusal of ``move``)."""
    return " ".join(
        f"{r.label}: {(r.reason or r.status.value).rstrip('.')}." for r in results if not r.clear
    )
