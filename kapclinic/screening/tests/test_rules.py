"""The screening engine and the shipped rule sets (ref §2, §11.C R-SCR-1..4).

Data-driven: CASES holds, for every rule id of every shipped set, a change that makes the rule
fire and a boundary change that does not; EXPECTED_SEVERITIES pins each set's rule list. A rule
added without both fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

import pytest

from kapclinic.screening.facts import (
    FACT_LABELS,
    FINDING_ASKED_IN,
    FINDING_LABELS,
    MEDICATION_LABELS,
    FactField,
    Finding,
    MedicationClass,
    PregnancyStatus,
    ScreeningFacts,
    Sex,
)
from kapclinic.screening.rules import (
    RULE_ID_PATTERN,
    AgeBelow,
    EvidenceLabel,
    Family,
    FindingPresent,
    MedicationClassPresent,
    Outcome,
    OverrideError,
    Rule,
    RuleSet,
    RuleStatus,
    ScreeningPolicy,
    ScreeningPolicyError,
    ScreeningResult,
    Severity,
    evaluate,
)
from kapclinic.screening.rulesets import (
    ESKETAMINE_V1,
    RACEMIC_KETAMINE_V1,
    SHIPPED_RULESETS,
    TALK_THERAPY_V1,
    get_ruleset,
    ruleset_for,
)

HARD, FLAG, DATA, INFO = (
    Severity.HARD_STOP,
    Severity.FLAG,
    Severity.REQUIRED_DATA,
    Severity.INFO,
)
DEFAULT = ScreeningPolicy()
REASON = "Benefit outweighs risk; discussed with patient."

# A complete work-up in which no rule of any shipped set fires.
BASELINE = ScreeningFacts(
    age_years=35,
    sex=Sex.FEMALE,
    pregnancy_status=PregnancyStatus.NOT_PREGNANT,
    medical_history_reviewed=True,
    medications_reviewed=True,
    weight_kg=Decimal("72.5"),
    systolic_mmhg=120,
    diastolic_mmhg=80,
    heart_rate_bpm=72,
    spo2_percent=98,
    has_psychiatric_diagnosis=True,
    substance_use_history_answered=True,
    psychosis_history_answered=True,
    phq9_baseline=18,
    gad7_baseline=12,
    cssrs_screener_completed=True,
    ecg_recorded=True,
    renal_function_recorded=True,
    liver_function_recorded=True,
)

Change = Callable[[ScreeningFacts], ScreeningFacts]


def unchanged(facts: ScreeningFacts) -> ScreeningFacts:
    return facts


@dataclass(frozen=True)
class Case:
    fires: Change
    stays_quiet: Change = unchanged
    policy: ScreeningPolicy = DEFAULT


def with_finding(finding: Finding) -> Case:
    return Case(fires=lambda f: replace(f, findings=f.findings | {finding}))


def with_medication(medication: MedicationClass) -> Case:
    return Case(fires=lambda f: replace(f, medication_classes=f.medication_classes | {medication}))


HOME = ScreeningPolicy(home_programme=True)

CASES: dict[str, Case] = {
    "R-SCR-1.aneurysm": with_finding(Finding.ANEURYSMAL_VASCULAR_DISEASE),
    "R-SCR-1.avm": with_finding(Finding.AVM),
    "R-SCR-1.intracerebral_haemorrhage": with_finding(Finding.INTRACEREBRAL_HAEMORRHAGE),
    "R-SCR-1.hypersensitivity": with_finding(Finding.HYPERSENSITIVITY_KETAMINE),
    "R-SCR-2.age_under_18": Case(
        fires=lambda f: replace(f, age_years=17), stays_quiet=lambda f: replace(f, age_years=18)
    ),
    "R-SCR-2.psychosis": with_finding(Finding.PSYCHOSIS),
    "R-SCR-2.mania_recent": with_finding(Finding.MANIA_RECENT),
    "R-SCR-2.uncontrolled_hypertension": with_finding(Finding.UNCONTROLLED_HYPERTENSION),
    "R-SCR-2.uncontrolled_cardiac_disease": with_finding(Finding.UNCONTROLLED_CARDIAC_DISEASE),
    "R-SCR-2.raised_icp": with_finding(Finding.RAISED_ICP),
    "R-SCR-2.glaucoma": with_finding(Finding.GLAUCOMA),
    "R-SCR-2.recent_seizures": with_finding(Finding.RECENT_SEIZURES),
    "R-SCR-2.pregnancy": Case(
        fires=lambda f: replace(f, pregnancy_status=PregnancyStatus.PREGNANT),
        stays_quiet=lambda f: replace(f, pregnancy_status=PregnancyStatus.NOT_APPLICABLE),
    ),
    "R-SCR-2.breastfeeding": with_finding(Finding.BREASTFEEDING),
    "R-SCR-2.substance_use_disorder": with_finding(Finding.SUBSTANCE_USE_DISORDER_ACTIVE),
    "R-SCR-2.neurocognitive_disorder": with_finding(Finding.NEUROCOGNITIVE_DISORDER),
    "R-SCR-2.tbi_symptomatic": with_finding(Finding.TBI_SYMPTOMATIC),
    "R-SCR-2.home_opioid_use_disorder": replace(
        with_finding(Finding.OPIOID_USE_DISORDER), policy=HOME
    ),
    "R-SCR-2.home_recent_suicide_attempt": replace(
        with_finding(Finding.RECENT_SUICIDE_ATTEMPT), policy=HOME
    ),
    "R-SCR-2.concomitant_benzodiazepine": with_medication(MedicationClass.BENZODIAZEPINE),
    "R-SCR-2.concomitant_hypnotic": with_medication(MedicationClass.NON_BENZODIAZEPINE_HYPNOTIC),
    "R-SCR-2.concomitant_opioid": with_medication(MedicationClass.OPIOID),
    "R-SCR-2.concomitant_psychostimulant": with_medication(MedicationClass.PSYCHOSTIMULANT),
    "R-SCR-2.concomitant_maoi": with_medication(MedicationClass.MAOI),
    "R-SCR-3.weight": Case(fires=lambda f: replace(f, weight_kg=None)),
    "R-SCR-3.blood_pressure": Case(
        fires=lambda f: replace(f, diastolic_mmhg=None),
        stays_quiet=lambda f: replace(f, systolic_mmhg=140, diastolic_mmhg=90),
    ),
    "R-SCR-3.heart_rate": Case(fires=lambda f: replace(f, heart_rate_bpm=None)),
    "R-SCR-3.spo2": Case(fires=lambda f: replace(f, spo2_percent=None)),
    "R-SCR-3.psychiatric_diagnosis": Case(
        fires=lambda f: replace(f, has_psychiatric_diagnosis=None),
        # Assessed with no diagnosis found is recorded data, not missing data.
        stays_quiet=lambda f: replace(f, has_psychiatric_diagnosis=False),
    ),
    "R-SCR-3.substance_use_history": Case(
        fires=lambda f: replace(f, substance_use_history_answered=False)
    ),
    "R-SCR-3.psychosis_history": Case(fires=lambda f: replace(f, psychosis_history_answered=False)),
    "R-SCR-3.pregnancy_status": Case(fires=lambda f: replace(f, pregnancy_status=None)),
    "R-SCR-3.medical_history": Case(fires=lambda f: replace(f, medical_history_reviewed=False)),
    "R-SCR-3.medication_review": Case(fires=lambda f: replace(f, medications_reviewed=False)),
    "R-SCR-3.baseline_depression_scale": Case(
        fires=lambda f: replace(f, phq9_baseline=None),
        stays_quiet=lambda f: replace(f, phq9_baseline=0),
    ),
    "R-SCR-3.baseline_gad7": Case(
        fires=lambda f: replace(f, gad7_baseline=None),
        stays_quiet=lambda f: replace(f, gad7_baseline=0),
    ),
    "R-SCR-3.cssrs_screener": Case(fires=lambda f: replace(f, cssrs_screener_completed=False)),
    "R-SCR-3.labs_and_ecg": Case(
        fires=lambda f: replace(f, renal_function_recorded=False),
        policy=ScreeningPolicy(enabled_rules=frozenset({"R-SCR-3.labs_and_ecg"})),
    ),
    "R-SCR-4.bp_elevated": Case(
        fires=lambda f: replace(f, systolic_mmhg=141, diastolic_mmhg=90),
        stays_quiet=lambda f: replace(f, systolic_mmhg=140, diastolic_mmhg=90),
    ),
}

_KETAMINE_COMMON = {
    "R-SCR-2.psychosis": FLAG,
    "R-SCR-2.mania_recent": FLAG,
    "R-SCR-2.uncontrolled_hypertension": FLAG,
    "R-SCR-2.uncontrolled_cardiac_disease": FLAG,
    "R-SCR-2.raised_icp": FLAG,
    "R-SCR-2.glaucoma": FLAG,
    "R-SCR-2.recent_seizures": FLAG,
    "R-SCR-2.pregnancy": FLAG,
    "R-SCR-2.breastfeeding": FLAG,
    "R-SCR-2.substance_use_disorder": FLAG,
    "R-SCR-2.neurocognitive_disorder": FLAG,
    "R-SCR-2.tbi_symptomatic": FLAG,
    "R-SCR-2.concomitant_benzodiazepine": INFO,
    "R-SCR-2.concomitant_hypnotic": INFO,
    "R-SCR-2.concomitant_opioid": INFO,
    "R-SCR-2.concomitant_psychostimulant": INFO,
    "R-SCR-2.concomitant_maoi": INFO,
    "R-SCR-3.blood_pressure": DATA,
    "R-SCR-3.heart_rate": DATA,
    "R-SCR-3.spo2": DATA,
    "R-SCR-3.psychiatric_diagnosis": DATA,
    "R-SCR-3.substance_use_history": DATA,
    "R-SCR-3.psychosis_history": DATA,
    "R-SCR-3.pregnancy_status": DATA,
    "R-SCR-3.medical_history": DATA,
    "R-SCR-3.medication_review": DATA,
    "R-SCR-3.baseline_depression_scale": DATA,
    "R-SCR-3.baseline_gad7": DATA,
    "R-SCR-3.cssrs_screener": DATA,
    "R-SCR-3.labs_and_ecg": DATA,
    "R-SCR-4.bp_elevated": FLAG,
}
_R_SCR_1 = {
    "R-SCR-1.aneurysm": HARD,
    "R-SCR-1.avm": HARD,
    "R-SCR-1.intracerebral_haemorrhage": HARD,
    "R-SCR-1.hypersensitivity": HARD,
}
EXPECTED_SEVERITIES: dict[Family, dict[str, Severity]] = {
    # Ref §2.1 "Not approved < 18 y": a hard stop for esketamine only.
    Family.ESKETAMINE: {**_R_SCR_1, "R-SCR-2.age_under_18": HARD, **_KETAMINE_COMMON},
    Family.RACEMIC_KETAMINE: {
        **_R_SCR_1,
        "R-SCR-2.age_under_18": FLAG,
        **_KETAMINE_COMMON,
        "R-SCR-2.home_opioid_use_disorder": HARD,
        "R-SCR-2.home_recent_suicide_attempt": HARD,
        "R-SCR-3.weight": DATA,
    },
    Family.TALK_THERAPY: {
        "R-SCR-3.psychiatric_diagnosis": DATA,
        "R-SCR-3.baseline_depression_scale": DATA,
        "R-SCR-3.baseline_gad7": DATA,
        "R-SCR-3.cssrs_screener": DATA,
    },
}
OUTCOME_WHEN_FIRED = {
    HARD: Outcome.NOT_ELIGIBLE,
    DATA: Outcome.INCOMPLETE,
    FLAG: Outcome.NEEDS_PRESCRIBER_REVIEW,
    INFO: Outcome.ELIGIBLE_WITH_PRECAUTIONS,
}
EVERY_RULE = [
    pytest.param(ruleset, rule, id=f"{ruleset.family}:{rule.rule_id}")
    for ruleset in SHIPPED_RULESETS
    for rule in ruleset.rules
]


def fired_ids(result: ScreeningResult) -> list[str]:
    return [outcome.rule_id for outcome in result.findings if outcome.fired]


# --- the rule sets as data -------------------------------------------------------------------


def test_every_shipped_rule_has_a_firing_and_a_quiet_case_and_no_case_is_stale() -> None:
    shipped = {rule.rule_id for ruleset in SHIPPED_RULESETS for rule in ruleset.rules}
    assert set(CASES) == shipped


@pytest.mark.parametrize("ruleset", SHIPPED_RULESETS, ids=lambda r: str(r.family))
def test_each_family_ships_exactly_the_expected_rules_and_severities(ruleset: RuleSet) -> None:
    assert {r.rule_id: r.severity for r in ruleset.rules} == EXPECTED_SEVERITIES[ruleset.family]


@pytest.mark.parametrize(("ruleset", "rule"), EVERY_RULE)
def test_every_rule_cites_its_rule_id_source_and_evidence(ruleset: RuleSet, rule: Rule) -> None:
    assert RULE_ID_PATTERN.match(rule.rule_id)
    assert "ref §" in rule.source
    assert isinstance(rule.evidence_label, EvidenceLabel)
    assert rule.title
    assert rule.explanation


@pytest.mark.parametrize("ruleset", SHIPPED_RULESETS, ids=lambda r: str(r.family))
def test_rule_ids_are_unique_within_a_set(ruleset: RuleSet) -> None:
    ids = [rule.rule_id for rule in ruleset.rules]
    assert len(ids) == len(set(ids))


def test_a_rule_set_with_a_duplicate_id_is_refused() -> None:
    rule = ESKETAMINE_V1.rule("R-SCR-1.avm")
    with pytest.raises(ValueError, match="Duplicate rule ids"):
        replace(ESKETAMINE_V1, rules=(rule, rule))


def test_a_rule_id_outside_r_scr_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match"):
        replace(ESKETAMINE_V1.rule("R-SCR-1.avm"), rule_id="R-ESK-1.avm")


def test_every_vocabulary_item_has_a_label_and_every_finding_a_work_up_item() -> None:
    assert set(FINDING_LABELS) == set(Finding)
    assert set(FINDING_ASKED_IN) == set(Finding)
    assert set(MEDICATION_LABELS) == set(MedicationClass)
    assert set(FACT_LABELS) == set(FactField)


def test_ruleset_for_picks_the_set_in_force_on_the_date_passed_in() -> None:
    start = ESKETAMINE_V1.effective_from
    assert ruleset_for(Family.ESKETAMINE, start) is ESKETAMINE_V1
    assert ruleset_for(Family.TALK_THERAPY, start + timedelta(days=400)) is TALK_THERAPY_V1
    with pytest.raises(LookupError):
        ruleset_for(Family.ESKETAMINE, start - timedelta(days=1))
    assert get_ruleset(Family.RACEMIC_KETAMINE, "1") is RACEMIC_KETAMINE_V1
    with pytest.raises(LookupError):
        get_ruleset(Family.RACEMIC_KETAMINE, "0")


# --- each rule fires, and stays quiet at its boundary ----------------------------------------


@pytest.mark.parametrize("ruleset", SHIPPED_RULESETS, ids=lambda r: str(r.family))
def test_a_complete_unremarkable_work_up_is_eligible(ruleset: RuleSet) -> None:
    result = evaluate(BASELINE, ruleset, DEFAULT)
    assert result.outcome is Outcome.ELIGIBLE
    assert fired_ids(result) == []


@pytest.mark.parametrize(("ruleset", "rule"), EVERY_RULE)
def test_each_rule_fires_alone_with_the_outcome_of_its_severity(
    ruleset: RuleSet, rule: Rule
) -> None:
    case = CASES[rule.rule_id]
    result = evaluate(case.fires(BASELINE), ruleset, case.policy)
    assert fired_ids(result) == [rule.rule_id]
    assert result.outcome is OUTCOME_WHEN_FIRED[rule.severity]
    fired = result.finding(rule.rule_id)
    assert fired.source == rule.source
    assert rule.explanation in fired.explanation
    assert rule.rule_id in result.explanation


@pytest.mark.parametrize(("ruleset", "rule"), EVERY_RULE)
def test_each_rule_stays_quiet_at_its_boundary(ruleset: RuleSet, rule: Rule) -> None:
    case = CASES[rule.rule_id]
    result = evaluate(case.stays_quiet(BASELINE), ruleset, case.policy)
    assert result.finding(rule.rule_id).status is RuleStatus.NOT_FIRED
    assert result.outcome is Outcome.ELIGIBLE


# --- outcome precedence ----------------------------------------------------------------------

AVM = Finding.AVM
PSYCHOSIS = Finding.PSYCHOSIS


@pytest.mark.parametrize(
    ("findings", "medications", "phq9", "overrides", "expected"),
    [
        pytest.param({AVM, PSYCHOSIS}, {MedicationClass.MAOI}, None, {}, Outcome.NOT_ELIGIBLE,
                     id="hard stop beats missing data, flag and info"),
        pytest.param({PSYCHOSIS}, {MedicationClass.MAOI}, None, {}, Outcome.INCOMPLETE,
                     id="missing data beats flag and info"),
        pytest.param({PSYCHOSIS}, {MedicationClass.MAOI}, 18, {}, Outcome.NEEDS_PRESCRIBER_REVIEW,
                     id="open flag beats info"),
        pytest.param({PSYCHOSIS}, set(), 18, {"R-SCR-2.psychosis": REASON},
                     Outcome.ELIGIBLE_WITH_PRECAUTIONS, id="overridden flag is a precaution"),
        pytest.param(set(), {MedicationClass.MAOI}, 18, {}, Outcome.ELIGIBLE_WITH_PRECAUTIONS,
                     id="fired info is a precaution"),
        pytest.param(set(), set(), 18, {}, Outcome.ELIGIBLE, id="nothing fired"),
    ],
)  # fmt: skip
def test_outcome_precedence(
    findings: set[Finding],
    medications: set[MedicationClass],
    phq9: int | None,
    overrides: dict[str, str],
    expected: Outcome,
) -> None:
    facts = replace(
        BASELINE,
        findings=frozenset(findings),
        medication_classes=frozenset(medications),
        phq9_baseline=phq9,
    )
    for ruleset in (ESKETAMINE_V1, RACEMIC_KETAMINE_V1):
        assert evaluate(facts, ruleset, DEFAULT, overrides).outcome is expected


@pytest.mark.parametrize("ruleset", SHIPPED_RULESETS, ids=lambda r: str(r.family))
def test_nothing_recorded_is_incomplete_never_eligible_and_never_crashes(ruleset: RuleSet) -> None:
    result = evaluate(ScreeningFacts(), ruleset, DEFAULT)
    assert result.outcome is Outcome.INCOMPLETE
    assert all(outcome.explanation for outcome in result.findings)


NOT_ASKED: dict[FactField, Change] = {
    FactField.MEDICAL_HISTORY: lambda f: replace(f, medical_history_reviewed=False),
    FactField.MEDICATION_REVIEW: lambda f: replace(f, medications_reviewed=False),
    FactField.PSYCHOSIS_HISTORY: lambda f: replace(f, psychosis_history_answered=False),
    FactField.SUBSTANCE_USE_HISTORY: lambda f: replace(f, substance_use_history_answered=False),
    FactField.CSSRS_SCREENER: lambda f: replace(f, cssrs_screener_completed=False),
    FactField.PREGNANCY_STATUS: lambda f: replace(f, pregnancy_status=None),
}
HISTORY_RULES = [
    pytest.param(ruleset, rule, id=f"{ruleset.family}:{rule.rule_id}")
    for ruleset in SHIPPED_RULESETS
    for rule in ruleset.rules
    if isinstance(rule.condition, FindingPresent | MedicationClassPresent)
]


@pytest.mark.parametrize(("ruleset", "rule"), HISTORY_RULES)
def test_a_finding_not_asked_about_is_not_evaluated_rather_than_absent(
    ruleset: RuleSet, rule: Rule
) -> None:
    condition = rule.condition
    asked_in = (
        FINDING_ASKED_IN[condition.finding]
        if isinstance(condition, FindingPresent)
        else FactField.MEDICATION_REVIEW
    )
    facts = NOT_ASKED[asked_in](BASELINE)
    result = evaluate(facts, ruleset, CASES[rule.rule_id].policy)
    outcome = result.finding(rule.rule_id)
    assert outcome.status is RuleStatus.NOT_EVALUATED
    assert f"{FACT_LABELS[asked_in]} not recorded" in outcome.explanation
    assert result.outcome is Outcome.INCOMPLETE


def test_a_rule_that_cannot_be_evaluated_makes_the_result_incomplete() -> None:
    # No R-SCR-3 rule asks for age, yet an unknown age must not pass the under-18 hard stop.
    result = evaluate(replace(BASELINE, age_years=None), ESKETAMINE_V1, DEFAULT)
    assert result.outcome is Outcome.INCOMPLETE
    assert result.finding("R-SCR-2.age_under_18").status is RuleStatus.NOT_EVALUATED
    assert "could not check R-SCR-2.age_under_18" in result.explanation


def test_a_possible_pregnancy_is_flagged_like_a_pregnancy() -> None:
    facts = replace(BASELINE, pregnancy_status=PregnancyStatus.POSSIBLE)
    result = evaluate(facts, ESKETAMINE_V1, DEFAULT)
    assert fired_ids(result) == ["R-SCR-2.pregnancy"]
    assert "Pregnancy status: possible" in result.finding("R-SCR-2.pregnancy").explanation


# --- overrides -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "overridden"),
    [
        ("Discussed.", True),  # exactly 10 characters
        ("Discussed", False),  # 9
        ("   Discussed   ", False),  # padding does not count
        ("", False),
        (REASON, True),
    ],
)
def test_a_flag_is_overridden_only_with_a_reason_of_ten_characters(
    reason: str, overridden: bool
) -> None:
    facts = replace(BASELINE, findings=frozenset({Finding.GLAUCOMA}))
    result = evaluate(facts, RACEMIC_KETAMINE_V1, DEFAULT, {"R-SCR-2.glaucoma": reason})
    outcome = result.finding("R-SCR-2.glaucoma")
    assert outcome.overridden is overridden
    expected = Outcome.ELIGIBLE_WITH_PRECAUTIONS if overridden else Outcome.NEEDS_PRESCRIBER_REVIEW
    assert result.outcome is expected
    if overridden:
        assert outcome.override_reason == reason.strip()
        assert reason.strip() in outcome.explanation
    elif reason:
        assert "Override not accepted" in outcome.explanation


@pytest.mark.parametrize(
    ("ruleset", "rule_id"),
    [
        (ESKETAMINE_V1, "R-SCR-1.aneurysm"),
        (ESKETAMINE_V1, "R-SCR-2.age_under_18"),
        (RACEMIC_KETAMINE_V1, "R-SCR-1.hypersensitivity"),
        (RACEMIC_KETAMINE_V1, "R-SCR-3.weight"),  # missing data is recorded, not overridden
        (RACEMIC_KETAMINE_V1, "R-SCR-2.concomitant_maoi"),
        (TALK_THERAPY_V1, "R-SCR-2.psychosis"),  # not a rule of talk therapy
    ],
)
def test_only_flags_can_be_overridden(ruleset: RuleSet, rule_id: str) -> None:
    facts = replace(BASELINE, findings=frozenset({Finding.HYPERSENSITIVITY_KETAMINE}))
    with pytest.raises(OverrideError):
        evaluate(facts, ruleset, DEFAULT, {rule_id: REASON})


def test_an_override_of_a_flag_that_did_not_fire_changes_nothing() -> None:
    result = evaluate(BASELINE, ESKETAMINE_V1, DEFAULT, {"R-SCR-2.glaucoma": REASON})
    assert result.outcome is Outcome.ELIGIBLE
    assert not result.finding("R-SCR-2.glaucoma").overridden


# --- per-clinic policy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "fires"),
    [(140, 90, False), (141, 90, True), (140, 91, True), (139, 89, False), (200, 60, True)],
)
@pytest.mark.parametrize("ruleset", [ESKETAMINE_V1, RACEMIC_KETAMINE_V1], ids=lambda r: r.family)
def test_bp_threshold_default_is_above_140_over_90(
    ruleset: RuleSet, systolic: int, diastolic: int, fires: bool
) -> None:
    facts = replace(BASELINE, systolic_mmhg=systolic, diastolic_mmhg=diastolic)
    assert evaluate(facts, ruleset, DEFAULT).finding("R-SCR-4.bp_elevated").fired is fires


@pytest.mark.parametrize(
    ("systolic", "diastolic", "fires"), [(150, 95, False), (151, 95, True), (150, 96, True)]
)
def test_bp_thresholds_come_from_the_clinic_policy(
    systolic: int, diastolic: int, fires: bool
) -> None:
    policy = ScreeningPolicy(bp_systolic_max_mmhg=150, bp_diastolic_max_mmhg=95)
    facts = replace(BASELINE, systolic_mmhg=systolic, diastolic_mmhg=diastolic)
    assert evaluate(facts, ESKETAMINE_V1, policy).finding("R-SCR-4.bp_elevated").fired is fires


def test_bp_explanation_shows_the_values_and_the_threshold() -> None:
    facts = replace(BASELINE, systolic_mmhg=152, diastolic_mmhg=94)
    outcome = evaluate(facts, ESKETAMINE_V1, DEFAULT).finding("R-SCR-4.bp_elevated")
    assert outcome.explanation.startswith(
        "BP 152/94 mmHg is above 140/90 (configurable; label wording unverified)."
    )
    assert outcome.evidence_label is EvidenceLabel.UNVERIFIED


ESKETAMINE_FIXED = [rule.rule_id for rule in ESKETAMINE_V1.rules if not rule.configurable]


@pytest.mark.parametrize("rule_id", ESKETAMINE_FIXED)
def test_esketamine_refuses_a_policy_that_turns_off_a_fixed_rule(rule_id: str) -> None:
    with pytest.raises(ScreeningPolicyError, match="not configurable"):
        evaluate(BASELINE, ESKETAMINE_V1, ScreeningPolicy(disabled_rules=frozenset({rule_id})))


@pytest.mark.parametrize(
    "rule_id", [r.rule_id for r in ESKETAMINE_V1.rules if r.severity is Severity.HARD_STOP]
)
def test_esketamine_label_hard_stops_are_fixed_and_cannot_be_softened(rule_id: str) -> None:
    assert rule_id in ESKETAMINE_FIXED
    with pytest.raises(ScreeningPolicyError, match="label rule"):
        evaluate(BASELINE, ESKETAMINE_V1, ScreeningPolicy(softened_rules=frozenset({rule_id})))


def test_an_esketamine_rule_set_cannot_ship_a_configurable_label_hard_stop() -> None:
    rule = replace(ESKETAMINE_V1.rule("R-SCR-1.avm"), configurable=True)
    with pytest.raises(ValueError, match="label hard stop is fixed"):
        replace(ESKETAMINE_V1, rules=(rule,))


def test_esketamine_has_no_home_programme() -> None:
    with pytest.raises(ScreeningPolicyError, match="home programme"):
        evaluate(BASELINE, ESKETAMINE_V1, HOME)
    home_rule = RACEMIC_KETAMINE_V1.rule("R-SCR-2.home_opioid_use_disorder")
    with pytest.raises(ValueError, match="no home programme"):
        replace(ESKETAMINE_V1, rules=(home_rule,))


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (ScreeningPolicy(disabled_rules=frozenset({"R-SCR-1.aneurysm"})), "softened, not"),
        (ScreeningPolicy(softened_rules=frozenset({"R-SCR-2.glaucoma"})), "cannot be softened"),
        (ScreeningPolicy(disabled_rules=frozenset({"R-SCR-9.nope"})), "is not a rule of"),
        (
            ScreeningPolicy(
                disabled_rules=frozenset({"R-SCR-3.labs_and_ecg"}),
                enabled_rules=frozenset({"R-SCR-3.labs_and_ecg"}),
            ),
            "both turned off and turned on",
        ),
        (ScreeningPolicy(bp_systolic_max_mmhg=0), "positive"),
        (ScreeningPolicy(bp_systolic_max_mmhg=90, bp_diastolic_max_mmhg=90), "above the dia"),
    ],
)
def test_racemic_ketamine_refuses_an_impossible_policy(
    policy: ScreeningPolicy, message: str
) -> None:
    with pytest.raises(ScreeningPolicyError, match=message):
        evaluate(BASELINE, RACEMIC_KETAMINE_V1, policy)


def test_racemic_ketamine_contraindication_can_be_softened_to_an_overridable_flag() -> None:
    policy = ScreeningPolicy(softened_rules=frozenset({"R-SCR-1.aneurysm"}))
    facts = replace(BASELINE, findings=frozenset({Finding.ANEURYSMAL_VASCULAR_DISEASE}))
    review = evaluate(facts, RACEMIC_KETAMINE_V1, policy)
    assert review.outcome is Outcome.NEEDS_PRESCRIBER_REVIEW
    assert review.finding("R-SCR-1.aneurysm").severity is Severity.FLAG
    assert "Softened from a hard stop" in review.finding("R-SCR-1.aneurysm").explanation
    overridden = evaluate(facts, RACEMIC_KETAMINE_V1, policy, {"R-SCR-1.aneurysm": REASON})
    assert overridden.outcome is Outcome.ELIGIBLE_WITH_PRECAUTIONS


def test_a_configurable_flag_turned_off_is_reported_as_disabled() -> None:
    policy = ScreeningPolicy(disabled_rules=frozenset({"R-SCR-2.glaucoma"}))
    facts = replace(BASELINE, findings=frozenset({Finding.GLAUCOMA}))
    result = evaluate(facts, ESKETAMINE_V1, policy)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.finding("R-SCR-2.glaucoma").status is RuleStatus.DISABLED


def test_labs_and_ecg_are_optional_unless_the_policy_turns_them_on() -> None:
    facts = replace(BASELINE, ecg_recorded=False)
    result = evaluate(facts, RACEMIC_KETAMINE_V1, DEFAULT)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.finding("R-SCR-3.labs_and_ecg").status is RuleStatus.DISABLED


@pytest.mark.parametrize("finding", [Finding.OPIOID_USE_DISORDER, Finding.RECENT_SUICIDE_ATTEMPT])
def test_home_programme_exclusions_do_not_apply_in_clinic(finding: Finding) -> None:
    facts = replace(BASELINE, findings=frozenset({finding}))
    result = evaluate(facts, RACEMIC_KETAMINE_V1, DEFAULT)
    assert result.outcome is Outcome.ELIGIBLE
    statuses = {o.status for o in result.findings if o.rule_id.startswith("R-SCR-2.home_")}
    assert statuses == {RuleStatus.NOT_APPLICABLE}


def test_talk_therapy_ignores_drug_contraindications() -> None:
    facts = replace(
        BASELINE,
        age_years=15,
        pregnancy_status=PregnancyStatus.PREGNANT,
        findings=frozenset(Finding),
        medication_classes=frozenset(MedicationClass),
        systolic_mmhg=200,
        diastolic_mmhg=120,
        weight_kg=None,
        medical_history_reviewed=False,
    )
    result = evaluate(facts, TALK_THERAPY_V1, DEFAULT)
    assert result.outcome is Outcome.ELIGIBLE
    assert evaluate(facts, ESKETAMINE_V1, DEFAULT).outcome is Outcome.NOT_ELIGIBLE


def test_talk_therapy_still_needs_its_baseline_scales() -> None:
    result = evaluate(replace(BASELINE, phq9_baseline=None), TALK_THERAPY_V1, DEFAULT)
    assert result.outcome is Outcome.INCOMPLETE
    assert fired_ids(result) == ["R-SCR-3.baseline_depression_scale"]


def test_the_result_names_its_rule_set_and_explains_itself() -> None:
    facts = replace(BASELINE, findings=frozenset({Finding.AVM}))
    result = evaluate(facts, ESKETAMINE_V1, DEFAULT)
    assert (result.family, result.ruleset_version) == (Family.ESKETAMINE, "1")
    assert result.explanation == (
        "Not eligible: R-SCR-1.avm Arteriovenous malformation. (rule set esketamine 1)"
    )


def test_a_rule_id_tests_the_same_condition_in_every_family() -> None:
    # Families differ in severity and evidence, never in what a rule id means.
    conditions: dict[str, set[object]] = {}
    for ruleset in SHIPPED_RULESETS:
        for rule in ruleset.rules:
            conditions.setdefault(rule.rule_id, set()).add(rule.condition)
    assert {rule_id: len(kinds) for rule_id, kinds in conditions.items() if len(kinds) > 1} == {}
    assert conditions["R-SCR-2.age_under_18"] == {AgeBelow(18)}
    assert conditions["R-SCR-1.avm"] == {FindingPresent(Finding.AVM)}
