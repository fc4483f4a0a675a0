"""The screening engine for generated screenings, with a cache so 100,000 patients stay fast.

Every stored result is the engine's own (``kapclinic.screening.rules.evaluate``): nothing here
decides an outcome or writes an explanation. Evaluating a whole rule set takes ~0.2 ms and
serialising its result ~0.7 ms, and almost every patient's facts differ (age, weight and blood
pressure appear in the explanations), so caching whole evaluations would rarely hit. Instead:

- each rule's outcome is cached under the facts that rule reads (``_reads``); a miss evaluates
  that one rule with the real engine (a one-rule RuleSet through ``evaluate``);
- the screening's outcome and explanation depend only on which rules fired, were overridden or
  could not be checked, so they are cached under that vector; a miss evaluates the whole rule
  set with the real engine.

``kapclinic/demo/tests/test_stages.py`` re-evaluates every generated screening through the
screening service's own path and compares the stored outcome, explanation and result, so a
rule condition that starts reading other facts fails that test rather than storing a stale text.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import asdict
from typing import Any

from kapclinic.screening.facts import FINDING_ASKED_IN, ScreeningFacts, describe_fact
from kapclinic.screening.rules import (
    AgeBelow,
    BloodPressureAbove,
    Condition,
    Family,
    FindingPresent,
    MedicationClassPresent,
    PregnancyPossible,
    Rule,
    RuleOutcome,
    RuleSet,
    ScreeningPolicy,
    ValueMissing,
    evaluate,
)

# One stored rule outcome: the dict kapclinic.screening.services stores per RuleOutcome.
StoredOutcome = dict[str, Any]


def _reads(condition: Condition, facts: ScreeningFacts) -> Hashable:
    """The facts one condition reads (mirrors ``rules._check``; the stages test guards it)."""
    if isinstance(condition, FindingPresent):
        asked_in = FINDING_ASKED_IN[condition.finding]
        return condition.finding in facts.findings, describe_fact(facts, asked_in)[0]
    if isinstance(condition, MedicationClassPresent):
        return condition.medication_class in facts.medication_classes, facts.medications_reviewed
    if isinstance(condition, PregnancyPossible):
        return facts.pregnancy_status
    if isinstance(condition, AgeBelow):
        return facts.age_years
    if isinstance(condition, ValueMissing):
        return describe_fact(facts, condition.fact)
    if isinstance(condition, BloodPressureAbove):
        return facts.systolic_mmhg, facts.diastolic_mmhg
    return facts  # an unknown kind: key on everything (correct, only slower)


def stored(outcome: RuleOutcome) -> StoredOutcome:
    """A rule outcome as kapclinic.screening.services stores it in ``Screening.result``."""
    return {
        key: (str(value) if key in ("severity", "status", "evidence_label") else value)
        for key, value in asdict(outcome).items()
    }


class CachedEngine:
    """Evaluate screenings for one generation run (one rule set per family, fixed policies)."""

    def __init__(self, rulesets: Mapping[Family, RuleSet]) -> None:
        self.rulesets = dict(rulesets)
        self._single = {
            (family, rule.rule_id): RuleSet(
                family=family,
                version=ruleset.version,
                effective_from=ruleset.effective_from,
                rules=(rule,),
            )
            for family, ruleset in rulesets.items()
            for rule in ruleset.rules
        }
        self._rules: dict[Hashable, tuple[StoredOutcome, Hashable]] = {}
        self._decisions: dict[Hashable, tuple[str, str]] = {}
        # Policies by id(): hashing a policy dataclass per rule would cost more than the rule;
        # keeping each one here keeps its id unique for the whole run.
        self._policies: dict[int, ScreeningPolicy] = {}
        self.full_evaluations = 0

    def evaluate(
        self,
        family: Family,
        facts: ScreeningFacts,
        policy: ScreeningPolicy,
        overrides: Mapping[str, str],
    ) -> tuple[str, str, list[StoredOutcome]]:
        """(outcome, explanation, stored result) exactly as ``evaluate`` gives them."""
        ruleset = self.rulesets[family]
        self._policies.setdefault(id(policy), policy)
        result: list[StoredOutcome] = []
        vector: list[Hashable] = []
        for rule in ruleset.rules:
            stored_outcome, state = self._rule(family, rule, facts, policy, overrides)
            result.append(stored_outcome)
            vector.append(state)
        key = (family, id(policy), tuple(vector))
        decided = self._decisions.get(key)
        if decided is None:
            self.full_evaluations += 1
            full = evaluate(facts, ruleset, policy, overrides)
            decided = (full.outcome.value, full.explanation)
            self._decisions[key] = decided
        return decided[0], decided[1], result

    def _rule(
        self,
        family: Family,
        rule: Rule,
        facts: ScreeningFacts,
        policy: ScreeningPolicy,
        overrides: Mapping[str, str],
    ) -> tuple[StoredOutcome, Hashable]:
        reason = overrides.get(rule.rule_id, "")
        key = (family, rule.rule_id, id(policy), reason, _reads(rule.condition, facts))
        hit = self._rules.get(key)
        if hit is None:
            single = self._single[(family, rule.rule_id)]
            own = {rule.rule_id: reason} if reason else {}
            outcome = evaluate(facts, single, policy, own).findings[0]
            hit = (stored(outcome), (outcome.status, outcome.severity, outcome.overridden))
            self._rules[key] = hit
        return hit
