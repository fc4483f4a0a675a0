"""Cross-field validation of a parsed instrument (see ``loader`` for the list of checks)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Final

from kapclinic.measurement.instruments.definition import (
    Condition,
    Instrument,
    LicenceStatus,
    Op,
    ScoringKind,
)

# Clinical reference §7.3 ("LOINC — instruments"): the only codes marked verified. MADRS,
# QIDS-SR16, PCL-5, CADSS and BPIC-SS are NOT FOUND; WHO-5 is conflicting/unverified (65625-0 vs
# 71111-6), so none of those may carry a LOINC code. C-SSRS item codes are listed in §4.5 but
# their item-to-question mapping is "not verified", so items carry no LOINC code either.
VERIFIED_LOINC: Final[Mapping[str, Mapping[str, str]]] = {
    "phq9": {"panel": "44249-1", "total": "44261-6"},
    "gad7": {"panel": "69737-5", "total": "70274-6"},
    "cssrs_screener": {"panel": "93373-9", "total": "93374-7"},  # "total" = the risk level
}


def _check_condition(instrument: Instrument, condition: Condition, where: str) -> list[str]:
    try:
        item = instrument.item(condition.item)
    except KeyError:
        return [f"{where}: item '{condition.item}' does not exist"]
    if condition.op in (Op.EQ, Op.NE) and condition.value not in item.values:
        return [f"{where}: {condition.value} is not an answer value of item '{item.id}'"]
    values = sorted(item.values)
    if not any(condition.op.holds(value, condition.value) for value in values):
        return [
            f"{where}: no answer of item '{item.id}' can satisfy {condition.op} {condition.value}"
        ]
    return []


def _total_range(instrument: Instrument) -> tuple[int, int]:
    lows, highs = 0, 0
    for domain in instrument.scoring.domains:
        options = [instrument.item(item_id).values for item_id in domain.items]
        lows += max(min(values) for values in options)
        highs += max(max(values) for values in options)
    return lows, highs


def validate(instrument: Instrument) -> list[str]:
    """Cross-field checks on a parsed instrument; returns the problems (empty when valid)."""
    problems: list[str] = []
    scoring = instrument.scoring
    ids = set(instrument.item_ids)
    if not instrument.version.isdigit():
        problems.append(f"version must be a whole number, not '{instrument.version}'")
    for position, item in enumerate(instrument.items):
        earlier = set(instrument.item_ids[:position])
        for condition in item.enable_when:
            problems += _check_condition(instrument, condition, f"item {item.id} enable_when")
            # Skip logic may only look back, so it can never loop.
            if condition.item not in earlier:
                problems.append(f"item {item.id} may only depend on an earlier item")
        if instrument.licence.required and item.text:
            problems.append(f"item {item.id}: a licensed instrument ships without item text")
    if instrument.licence.status is LicenceStatus.PROPRIETARY and not instrument.licence.required:
        problems.append("a proprietary instrument must set licence.required = true")
    scored = {item.id for item in instrument.items if item.scored}
    if scoring.kind is ScoringKind.TIERS:
        if not scoring.tiers or scoring.domains or scoring.range or scoring.bands:
            problems.append("tiers scoring needs tiers and no domains, range or bands")
        for tier in scoring.tiers:
            for condition in tier.when:
                problems += _check_condition(instrument, condition, f"tier {tier.category}")
    else:
        in_domains = [item_id for domain in scoring.domains for item_id in domain.items]
        unknown = sorted(set(in_domains) - ids)
        if unknown:
            problems.append(f"scoring names unknown items: {', '.join(unknown)}")
            return problems
        if sorted(in_domains) != sorted(scored):
            problems.append(
                "every scored item must be scored exactly once: scoring has "
                f"{sorted(in_domains)}, scored items are {sorted(scored)}"
            )
        problems += _check_range_and_bands(instrument)
    problems += _check_scores(instrument, ids)
    for rule in instrument.alerts:
        if not rule.when:
            problems.append(f"alert {rule.id} has no condition")
        for condition in rule.when:
            problems += _check_condition(instrument, condition, f"alert {rule.id}")
    alert_ids = [rule.id for rule in instrument.alerts]
    if len(set(alert_ids)) != len(alert_ids):
        problems.append(f"duplicate alert ids: {alert_ids}")
    problems += _check_loinc(instrument)
    return problems


def _check_range_and_bands(instrument: Instrument) -> list[str]:
    problems: list[str] = []
    scoring = instrument.scoring
    actual = _total_range(instrument)
    if scoring.range != actual:
        problems.append(f"declared range {scoring.range} differs from the items' range {actual}")
    if scoring.bands:
        bands = sorted(scoring.bands, key=lambda band: band.min)
        if bands[0].min != actual[0] or bands[-1].max != actual[1]:
            problems.append(
                f"bands cover {bands[0].min}-{bands[-1].max}, not the score range "
                f"{actual[0]}-{actual[1]}"
            )
        for band in bands:
            if band.min > band.max:
                problems.append(f"band {band.code} runs backwards ({band.min}-{band.max})")
        for lower, upper in itertools.pairwise(bands):
            if upper.min != lower.max + 1:
                problems.append(
                    f"bands {lower.code} and {upper.code} leave a gap or overlap "
                    f"({lower.max} then {upper.min})"
                )
        codes = [band.code for band in bands]
        if len(set(codes)) != len(codes):
            problems.append(f"duplicate band codes: {codes}")
    return problems


def _check_scores(instrument: Instrument, ids: set[str]) -> list[str]:
    problems: list[str] = []
    scoring = instrument.scoring
    for subscale in scoring.subscales:
        missing = sorted(set(subscale.items) - ids)
        if missing:
            problems.append(f"subscale {subscale.name} names unknown items: {', '.join(missing)}")
    names = {"total"} | {d.name for d in scoring.derived} | {s.name for s in scoring.subscales}
    if scoring.kind is ScoringKind.SUM_OF_MAX:
        names |= {domain.name for domain in scoring.domains}
    if scoring.kind is ScoringKind.TIERS and (
        scoring.flags or scoring.derived or scoring.subscales
    ):
        problems.append("tiers scoring has no total, so no flags, derived scores or subscales")
    for flag in scoring.flags:
        if flag.score not in names:
            problems.append(f"flag {flag.name} reads unknown score '{flag.score}'")
    if scoring.cluster_rule is not None:
        subscales = {subscale.name for subscale in scoring.subscales}
        for name, _count in scoring.cluster_rule.minimum:
            if name not in subscales:
                problems.append(f"cluster rule names unknown subscale '{name}'")
    return problems


def _check_loinc(instrument: Instrument) -> list[str]:
    verified = VERIFIED_LOINC.get(instrument.code, {})
    problems = []
    for role, code in (("panel", instrument.loinc.panel), ("total", instrument.loinc.total)):
        if code and verified.get(role) != code:
            problems.append(
                f"LOINC {role} code {code} is not verified for {instrument.code} in clinical "
                "reference §7.3; leave it empty (NOT FOUND)"
            )
    return problems
