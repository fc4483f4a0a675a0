"""Score one completed response against its instrument definition (pure: values in, values out).

The engine knows three scoring kinds (``ScoringKind``) and never an instrument by name: every
instrument-specific number lives in its data file. A response with unanswered required items is
not an error: ``ScoreResult.refused_reason`` says why no score was given (the instrument's
missing-item rule, clinical reference §4 per instrument), and which items were missing.
Invalid answers (unknown item, value not among the options, an item the skip logic does not
ask) raise ``InvalidAnswersError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kapclinic.measurement.instruments.definition import (
    Band,
    Instrument,
    RuleRef,
    ScoringKind,
)
from kapclinic.measurement.instruments.skiplogic import (
    Answers,
    any_holds,
    check_answers,
    visible_items,
)


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    version: str
    rule: RuleRef  # the scoring rule used (reference rule id + text)
    total: int | None = None  # None for screens scored by tiers, and when refused
    # Named scores beyond the total: derived (WHO-5 "percentage"), subscales (PCL-5 "B".."E",
    # CADSS "cadss6") and max-of-group domains (QIDS-SR16 "sleep", ...).
    scores: Mapping[str, int] = field(default_factory=dict)
    band: Band | None = None
    category: str | None = None  # tiers: ASQ / C-SSRS / urinary result
    flags: Mapping[str, bool] = field(default_factory=dict)
    missing_items: tuple[str, ...] = ()
    refused_reason: str = ""

    @property
    def is_scored(self) -> bool:
        return not self.refused_reason

    def score_named(self, name: str) -> int | None:
        """``"total"`` or a named score; None when refused or absent."""
        return self.total if name == "total" else self.scores.get(name)


def _missing(definition: Instrument, answers: Answers, *, scored_only: bool) -> tuple[str, ...]:
    return tuple(
        item.id
        for item in visible_items(definition, answers)
        if item.id not in answers and not item.optional and (item.scored or not scored_only)
    )


def _refusal(definition: Instrument, rule: RuleRef, missing: tuple[str, ...]) -> ScoreResult:
    return ScoreResult(
        instrument=definition.code,
        version=definition.version,
        rule=rule,
        missing_items=missing,
        refused_reason=(
            f"not scored: {len(missing)} required item(s) unanswered ({', '.join(missing)}). "
            f"Rule: {definition.missing.source}."
        ),
    )


def score(definition: Instrument, answers: Answers) -> ScoreResult:
    """Score ``answers`` (item id -> answer value) with ``definition``'s published rule."""
    check_answers(definition, answers)
    scoring = definition.scoring
    rule = RuleRef(id=scoring.rule_id, text=scoring.rule_text)
    if scoring.kind is ScoringKind.TIERS:
        return _score_tiers(definition, answers, rule)
    missing = _missing(definition, answers, scored_only=True)
    if missing:
        return _refusal(definition, rule, missing)
    scores: dict[str, int] = {}
    total = 0
    for domain in scoring.domains:
        domain_score = max(answers[item_id] for item_id in domain.items)
        total += domain_score
        if scoring.kind is ScoringKind.SUM_OF_MAX:
            scores[domain.name] = domain_score
    for subscale in scoring.subscales:
        scores[subscale.name] = sum(answers[item_id] for item_id in subscale.items)
    for derived in scoring.derived:
        scores[derived.name] = total * derived.multiplier
    named = {"total": total, **scores}
    flags = {flag.name: flag.op.holds(named[flag.score], flag.value) for flag in scoring.flags}
    if scoring.cluster_rule is not None:
        cluster = scoring.cluster_rule
        by_name = {subscale.name: subscale.items for subscale in scoring.subscales}
        flags[cluster.name] = all(
            sum(answers[item_id] >= cluster.endorsed_at_least for item_id in by_name[name]) >= count
            for name, count in cluster.minimum
        )
    band = next((b for b in scoring.bands if b.min <= total <= b.max), None)
    return ScoreResult(
        instrument=definition.code,
        version=definition.version,
        rule=rule,
        total=total,
        scores=scores,
        band=band,
        flags=flags,
    )


def _score_tiers(definition: Instrument, answers: Answers, rule: RuleRef) -> ScoreResult:
    missing = _missing(definition, answers, scored_only=False)
    for position, tier in enumerate(definition.scoring.tiers):
        if any_holds(tier.when, answers):
            # The first (highest) tier is final even with gaps: an unanswered question can
            # only lower nothing. A lower tier is final only when nothing is missing, because
            # a missing answer might have placed the response in a higher tier.
            if position == 0 or not missing:
                return ScoreResult(
                    instrument=definition.code,
                    version=definition.version,
                    rule=RuleRef(id=rule.id, text=f"{rule.text} [{tier.source}]"),
                    category=tier.category,
                    missing_items=missing,
                )
            return _refusal(definition, rule, missing)
    if missing:
        return _refusal(definition, rule, missing)
    return ScoreResult(
        instrument=definition.code,
        version=definition.version,
        rule=rule,
        category=definition.scoring.otherwise,
    )
