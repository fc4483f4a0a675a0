"""Eligibility screening: the rule vocabulary and the one engine that evaluates every rule set.

Pure domain logic (house style §3.5): plain values in, plain values out; no ORM, no settings, no
clock. Rules are data (see ``kapclinic.screening.rulesets``); this module only knows a small set of
condition kinds and how to decide an outcome from the rules that fired. The facts it reads, and the
sentence each one gives when recorded, live in ``kapclinic.screening.facts``.

Reference: docs/clinical-reference.md §0 (evidence labels), §2 (screening) and §11.C
(R-SCR-1 contraindications, R-SCR-2 flags, R-SCR-3 baseline data, R-SCR-4 pre-dose BP).

The engine decides a *suggested* outcome. The eligibility decision itself is a prescriber's
(glossary: ``EligibilityDecision`` is decided and signed by a prescriber); overrides carry the
prescriber's written reason, and recording who gave it is the service layer's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, TypeAlias, assert_never

from kapclinic.core.exceptions import DomainError
from kapclinic.core.reasons import reason_problem, visible_text
from kapclinic.screening.facts import (
    FINDING_ASKED_IN,
    FINDING_LABELS,
    MEDICATION_LABELS,
    FactField,
    Finding,
    MedicationClass,
    PregnancyStatus,
    ScreeningFacts,
    describe_fact,
    not_recorded,
)

# An override counts only with a written reason of at least this many characters (brief for
# R-SCR-2: "clinician override with reason"); shorter text leaves the flag for review.
MIN_OVERRIDE_REASON_CHARS: Final = 10
RULE_ID_PATTERN: Final = re.compile(r"^R-SCR-[1-4]\.[a-z0-9_]+$")


class Family(StrEnum):
    ESKETAMINE = "esketamine"  # Spravato nasal spray, on-label under the REMS (ref §1.1-1.2)
    RACEMIC_KETAMINE = "racemic_ketamine"  # IV/IM/SL, off-label (ref §1.3-1.4)
    TALK_THERAPY = "talk_therapy"


class Severity(StrEnum):
    HARD_STOP = "hard_stop"  # contraindication: not eligible, never overridable
    FLAG = "flag"  # needs a prescriber's override with a written reason
    REQUIRED_DATA = "required_data"  # baseline data missing: screening incomplete
    INFO = "info"  # a precaution to carry into the session


class EvidenceLabel(StrEnum):
    """The labels of reference §0; they decide what may be configured."""

    REG = "[REG]"
    LABEL = "[LABEL]"
    CONSENSUS = "[CONSENSUS]"
    TRIAL = "[TRIAL]"
    PRACTICE = "[PRACTICE]"
    CLINIC = "[CLINIC]"
    UNVERIFIED = "[UNVERIFIED]"
    NOT_FOUND = "NOT FOUND"


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    ELIGIBLE_WITH_PRECAUTIONS = "eligible_with_precautions"
    NEEDS_PRESCRIBER_REVIEW = "needs_prescriber_review"
    NOT_ELIGIBLE = "not_eligible"
    INCOMPLETE = "incomplete"


class RuleStatus(StrEnum):
    FIRED = "fired"
    NOT_FIRED = "not_fired"
    NOT_EVALUATED = "not_evaluated"  # an input the condition needs is missing
    NOT_APPLICABLE = "not_applicable"  # a home-programme rule in an in-clinic programme
    DISABLED = "disabled"  # turned off by the clinic's screening policy


# --- condition kinds: the only things a rule can test --------------------------------------


@dataclass(frozen=True)
class FindingPresent:
    finding: Finding


@dataclass(frozen=True)
class PregnancyPossible:
    """Fires when pregnancy status is pregnant or possible."""


@dataclass(frozen=True)
class AgeBelow:
    years: int


@dataclass(frozen=True)
class ValueMissing:
    fact: FactField


@dataclass(frozen=True)
class BloodPressureAbove:
    """Systolic or diastolic above the policy's thresholds (R-SCR-4)."""

    note: str = ""


@dataclass(frozen=True)
class MedicationClassPresent:
    medication_class: MedicationClass


Condition: TypeAlias = (
    FindingPresent
    | PregnancyPossible
    | AgeBelow
    | ValueMissing
    | BloodPressureAbove
    | MedicationClassPresent
)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One screening rule. ``configurable`` means a clinic's policy may turn it off (or, for a hard
    stop, soften it to a flag); thresholds are policy values whatever this says."""

    rule_id: str
    title: str
    severity: Severity
    condition: Condition
    source: str
    evidence_label: EvidenceLabel
    explanation: str
    configurable: bool = False
    enabled_by_default: bool = True
    home_programme_only: bool = False

    def __post_init__(self) -> None:
        if not RULE_ID_PATTERN.match(self.rule_id):
            msg = f"Rule id {self.rule_id!r} does not match R-SCR-<n>.<condition>."
            raise ValueError(msg)
        if not (self.title and self.source and self.explanation):
            msg = f"Rule {self.rule_id} needs a title, a source and an explanation."
            raise ValueError(msg)
        if not self.enabled_by_default and not self.configurable:
            msg = f"Rule {self.rule_id} is off by default, so it must be configurable."
            raise ValueError(msg)


@dataclass(frozen=True, kw_only=True)
class RuleSet:
    family: Family
    version: str
    effective_from: date
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        ids = [rule.rule_id for rule in self.rules]
        duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicates:
            msg = f"Duplicate rule ids in {self.family} {self.version}: {duplicates}"
            raise ValueError(msg)
        if self.family is Family.ESKETAMINE:
            for rule in self.rules:
                # Ref §0: [REG]/[LABEL] is a hard rule for on-label esketamine.
                if (
                    rule.severity is Severity.HARD_STOP
                    and rule.configurable
                    and (rule.evidence_label in (EvidenceLabel.REG, EvidenceLabel.LABEL))
                ):
                    msg = f"{rule.rule_id}: an esketamine label hard stop is fixed."
                    raise ValueError(msg)
                # Ref §1.2 [REG]: Spravato is never dispensed for home use.
                if rule.home_programme_only:
                    msg = f"{rule.rule_id}: esketamine has no home programme."
                    raise ValueError(msg)

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(rule.rule_id for rule in self.rules)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True, kw_only=True)
class ScreeningPolicy:
    """A clinic's screening settings for one rule set (check them with ``check_policy``).

    The BP defaults are the recalled label example "> 140/90" (R-SCR-4, ref §1.2 and §10 gap 15:
    UNVERIFIED), so they are settings, not truths. Rule ids in the sets must belong to the rule
    set the policy is used with.
    """

    bp_systolic_max_mmhg: int = 140
    bp_diastolic_max_mmhg: int = 90
    home_programme: bool = False
    enabled_rules: frozenset[str] = frozenset()
    disabled_rules: frozenset[str] = frozenset()
    softened_rules: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class RuleOutcome:
    rule_id: str
    title: str
    severity: Severity  # as applied: a softened hard stop reads FLAG
    status: RuleStatus
    explanation: str
    source: str
    evidence_label: EvidenceLabel
    overridden: bool = False
    override_reason: str = ""

    @property
    def fired(self) -> bool:
        return self.status is RuleStatus.FIRED


@dataclass(frozen=True, kw_only=True)
class ScreeningResult:
    outcome: Outcome
    explanation: str
    family: Family
    ruleset_version: str
    findings: tuple[RuleOutcome, ...]

    def finding(self, rule_id: str) -> RuleOutcome:
        for outcome in self.findings:
            if outcome.rule_id == rule_id:
                return outcome
        raise KeyError(rule_id)


class ScreeningError(DomainError):
    pass


class ScreeningPolicyError(ScreeningError):
    """The policy tries something the rule set does not allow."""


class OverrideError(ScreeningError):
    """An override names a rule that cannot be overridden (hard stop, data, info, unknown)."""


# --- the engine ----------------------------------------------------------------------------


def check_policy(ruleset: RuleSet, policy: ScreeningPolicy) -> None:
    """Raise ScreeningPolicyError unless ``policy`` is allowed for ``ruleset``."""
    problems: list[str] = []
    if policy.bp_diastolic_max_mmhg <= 0 or policy.bp_systolic_max_mmhg <= 0:
        problems.append("BP thresholds must be positive.")
    elif policy.bp_systolic_max_mmhg <= policy.bp_diastolic_max_mmhg:
        problems.append("The systolic threshold must be above the diastolic one.")
    if policy.home_programme and ruleset.family is Family.ESKETAMINE:
        # Ref §1.2 [REG]: Spravato is dispensed only to certified settings, never for home use.
        problems.append("Esketamine (Spravato) cannot be given in a home programme (REMS).")
    named = policy.enabled_rules | policy.disabled_rules | policy.softened_rules
    for rule_id in sorted(named - ruleset.rule_ids):
        problems.append(f"{rule_id} is not a rule of {ruleset.family} {ruleset.version}.")
    for rule_id in sorted(policy.disabled_rules & (policy.enabled_rules | policy.softened_rules)):
        problems.append(f"{rule_id} is both turned off and turned on or softened.")
    for rule in ruleset.rules:
        if rule.rule_id not in named:
            continue
        if not rule.configurable:
            kind = "label rule" if rule.evidence_label is EvidenceLabel.LABEL else "fixed rule"
            problems.append(f"{rule.rule_id} is a {kind} of {ruleset.family}: not configurable.")
        elif rule.rule_id in policy.disabled_rules and rule.severity is Severity.HARD_STOP:
            problems.append(f"{rule.rule_id} is a hard stop: it can be softened, not turned off.")
        elif rule.rule_id in policy.softened_rules and rule.severity is not Severity.HARD_STOP:
            problems.append(f"{rule.rule_id} is not a hard stop, so it cannot be softened.")
    if problems:
        raise ScreeningPolicyError(" ".join(problems))


def evaluate(
    facts: ScreeningFacts,
    ruleset: RuleSet,
    policy: ScreeningPolicy,
    overrides: Mapping[str, str] | None = None,
) -> ScreeningResult:
    """Evaluate every rule of ``ruleset`` against ``facts`` and decide the outcome.

    ``overrides`` maps a FLAG rule id to the prescriber's written reason; a reason shorter than
    MIN_OVERRIDE_REASON_CHARS (after trimming) is shown but does not count.
    Raises ScreeningPolicyError for a policy the rule set forbids, and OverrideError when an
    override names a rule that is not a flag under this policy (a hard stop never is).
    Precedence: hard stop > missing data (or a rule that could not be evaluated) > flag not yet
    overridden > overridden flag or fired info (precautions) > eligible.
    """
    check_policy(ruleset, policy)
    overrides = overrides or {}
    for rule_id in sorted(overrides):
        if rule_id not in ruleset.rule_ids:
            msg = f"{rule_id} is not a rule of {ruleset.family}."
            raise OverrideError(msg)
        if _applied_severity(ruleset.rule(rule_id), policy) is not Severity.FLAG:
            msg = f"{rule_id} is not a flag, so no override applies to it."
            raise OverrideError(msg)
    findings = tuple(_evaluate_rule(rule, facts, policy, overrides) for rule in ruleset.rules)
    outcome, explanation = _decide(findings)
    return ScreeningResult(
        outcome=outcome,
        explanation=f"{explanation} (rule set {ruleset.family} {ruleset.version})",
        family=ruleset.family,
        ruleset_version=ruleset.version,
        findings=findings,
    )


def _applied_severity(rule: Rule, policy: ScreeningPolicy) -> Severity:
    return Severity.FLAG if rule.rule_id in policy.softened_rules else rule.severity


def _evaluate_rule(
    rule: Rule, facts: ScreeningFacts, policy: ScreeningPolicy, overrides: Mapping[str, str]
) -> RuleOutcome:
    severity = _applied_severity(rule, policy)
    enabled = (rule.enabled_by_default or rule.rule_id in policy.enabled_rules) and (
        rule.rule_id not in policy.disabled_rules
    )
    if not enabled:
        status, text = RuleStatus.DISABLED, "Turned off by the clinic's screening policy."
    elif rule.home_programme_only and not policy.home_programme:
        status, text = RuleStatus.NOT_APPLICABLE, "Applies to home programmes only."
    else:
        status, detail = _check(rule.condition, facts, policy)
        text = f"{detail}. {rule.explanation}" if status is RuleStatus.FIRED else f"{detail}."
    if severity is not rule.severity:
        text += " Softened from a hard stop to a flag by the clinic's policy."
    reason = visible_text(overrides.get(rule.rule_id, ""))
    overridden = False
    if status is RuleStatus.FIRED and reason:
        problem = reason_problem(reason, minimum=MIN_OVERRIDE_REASON_CHARS)
        overridden = problem is None
        if overridden:
            text += f" Overridden by the prescriber: {reason}"
        else:
            text += f" Override not accepted. {problem}"
    return RuleOutcome(
        rule_id=rule.rule_id,
        title=rule.title,
        severity=severity,
        status=status,
        explanation=text,
        source=rule.source,
        evidence_label=rule.evidence_label,
        overridden=overridden,
        override_reason=reason if overridden else "",
    )


def _check(
    condition: Condition, facts: ScreeningFacts, policy: ScreeningPolicy
) -> tuple[RuleStatus, str]:
    """Return whether ``condition`` holds, with the values used, in plain language."""
    if isinstance(condition, FindingPresent):
        label = FINDING_LABELS[condition.finding]
        if condition.finding in facts.findings:
            return RuleStatus.FIRED, f"{label.capitalize()} is recorded"
        asked_in = FINDING_ASKED_IN[condition.finding]
        if not describe_fact(facts, asked_in)[0]:
            return (
                RuleStatus.NOT_EVALUATED,
                f"{label.capitalize()} not checked: {not_recorded(asked_in)}",
            )
        return RuleStatus.NOT_FIRED, f"No {label} recorded"
    if isinstance(condition, MedicationClassPresent):
        label = MEDICATION_LABELS[condition.medication_class]
        if condition.medication_class in facts.medication_classes:
            return RuleStatus.FIRED, f"Concomitant {label} recorded"
        if not facts.medications_reviewed:
            return (
                RuleStatus.NOT_EVALUATED,
                f"{label.capitalize()} not checked: {not_recorded(FactField.MEDICATION_REVIEW)}",
            )
        return RuleStatus.NOT_FIRED, f"No concomitant {label} recorded"
    if isinstance(condition, PregnancyPossible):
        status = facts.pregnancy_status
        if status is None:
            return RuleStatus.NOT_EVALUATED, "Pregnancy status not recorded"
        fired = status in (PregnancyStatus.PREGNANT, PregnancyStatus.POSSIBLE)
        text = f"Pregnancy status: {status.value.replace('_', ' ')}"
        return (RuleStatus.FIRED if fired else RuleStatus.NOT_FIRED), text
    if isinstance(condition, AgeBelow):
        if facts.age_years is None:
            return (
                RuleStatus.NOT_EVALUATED,
                f"Age not recorded, so age < {condition.years} y was not checked",
            )
        if facts.age_years < condition.years:
            return RuleStatus.FIRED, f"Age {facts.age_years} y is below {condition.years} y"
        return RuleStatus.NOT_FIRED, f"Age {facts.age_years} y is not below {condition.years} y"
    if isinstance(condition, ValueMissing):
        recorded, text = describe_fact(facts, condition.fact)
        return (RuleStatus.NOT_FIRED if recorded else RuleStatus.FIRED), text
    if isinstance(condition, BloodPressureAbove):
        limit = f"{policy.bp_systolic_max_mmhg}/{policy.bp_diastolic_max_mmhg}"
        note = f" ({condition.note})" if condition.note else ""
        systolic, diastolic = facts.systolic_mmhg, facts.diastolic_mmhg
        if systolic is None or diastolic is None:
            return (
                RuleStatus.NOT_EVALUATED,
                f"BP not recorded, so the {limit} limit was not checked",
            )
        above = systolic > policy.bp_systolic_max_mmhg or diastolic > policy.bp_diastolic_max_mmhg
        word = "above" if above else "not above"
        text = f"BP {systolic}/{diastolic} mmHg is {word} {limit}{note}"
        return (RuleStatus.FIRED if above else RuleStatus.NOT_FIRED), text
    assert_never(condition)


def _decide(findings: tuple[RuleOutcome, ...]) -> tuple[Outcome, str]:
    def ids(outcomes: list[RuleOutcome]) -> str:
        return "; ".join(f"{o.rule_id} {o.title}" for o in outcomes)

    fired = [o for o in findings if o.fired]
    hard = [o for o in fired if o.severity is Severity.HARD_STOP]
    if hard:
        return Outcome.NOT_ELIGIBLE, f"Not eligible: {ids(hard)}."
    missing = [o for o in fired if o.severity is Severity.REQUIRED_DATA]
    unknown = [o for o in findings if o.status is RuleStatus.NOT_EVALUATED]
    if missing or unknown:
        parts = [f"missing {ids(missing)}"] if missing else []
        parts += [f"could not check {ids(unknown)}"] if unknown else []
        return Outcome.INCOMPLETE, f"Screening incomplete: {', '.join(parts)}."
    flags = [o for o in fired if o.severity is Severity.FLAG]
    open_flags = [o for o in flags if not o.overridden]
    if open_flags:
        return (
            Outcome.NEEDS_PRESCRIBER_REVIEW,
            f"Needs a prescriber's override with a written reason: {ids(open_flags)}.",
        )
    precautions = flags + [o for o in fired if o.severity is Severity.INFO]
    if precautions:
        return Outcome.ELIGIBLE_WITH_PRECAUTIONS, f"Eligible with precautions: {ids(precautions)}."
    return Outcome.ELIGIBLE, "Eligible: no screening rule fired."
