"""Build an ``Instrument`` from its JSON data and validate it; every problem is reported at once.

Checks (docs/measurement.md lists them with examples): unique item ids; answer option values
unique integers; skip-logic, scoring, flag and alert references point at real items and
answer values; every scored item is scored exactly once; the declared score range equals the
range the items allow; severity bands are contiguous and cover exactly that range; scoring,
licence, missing-item and alert kinds are known; licensed instruments ship no item text; and
LOINC codes appear only where clinical reference §7.3 verifies them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Final, TypeVar

from kapclinic.measurement.exceptions import InstrumentDefinitionError
from kapclinic.measurement.instruments.definition import (
    AlertRule,
    AlertSeverity,
    AnswerOption,
    Band,
    ClusterRule,
    Condition,
    Derived,
    Domain,
    Instrument,
    Item,
    Licence,
    LicenceStatus,
    Loinc,
    MissingRule,
    MissingRuleKind,
    Op,
    ScoreFlag,
    Scoring,
    ScoringKind,
    Tier,
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


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)


def _str(
    data: Mapping[str, object], key: str, problems: _Problems, *, required: bool = True
) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value):
        problems.add(f"'{key}' must be a non-empty string" if required else f"'{key}' must be text")
        return ""
    return value


def _bool(data: Mapping[str, object], key: str, problems: _Problems, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        problems.add(f"'{key}' must be true or false")
        return default
    return value


def _int(value: object, where: str, problems: _Problems) -> int:
    # bool is an int subclass in Python; JSON true must not pass as 1.
    if type(value) is not int:
        problems.add(f"{where} must be an integer, not {value!r}")
        return 0
    return value


def _list(value: object, where: str, problems: _Problems) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(f"{where} must be a list")
        return []
    return value


def _map(value: object, where: str, problems: _Problems) -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(f"{where} must be an object")
        return {}
    return value


_E = TypeVar("_E", Op, ScoringKind, LicenceStatus, AlertSeverity, MissingRuleKind)


def _enum(kind: type[_E], value: object, where: str, problems: _Problems) -> _E | None:
    try:
        return kind(str(value))
    except ValueError:
        known = ", ".join(member.value for member in kind)
        problems.add(f"{where}: unknown value {value!r} (known: {known})")
        return None


def _condition(raw: object, where: str, problems: _Problems) -> Condition | None:
    data = _map(raw, where, problems)
    op = _enum(Op, data.get("op"), f"{where} op", problems)
    item = data.get("item")
    if not isinstance(item, str) or op is None:
        if not isinstance(item, str):
            problems.add(f"{where} needs an 'item'")
        return None
    return Condition(item=item, op=op, value=_int(data.get("value"), f"{where} value", problems))


def _conditions(raw: object, where: str, problems: _Problems) -> tuple[Condition, ...]:
    found = [_condition(entry, where, problems) for entry in _list(raw, where, problems)]
    return tuple(condition for condition in found if condition is not None)


def _names(raw: object, where: str, problems: _Problems) -> tuple[str, ...]:
    names = _list(raw, where, problems)
    if not all(isinstance(name, str) for name in names):
        problems.add(f"{where} must list item ids")
        return ()
    return tuple(str(name) for name in names)


def _option_sets(raw: object, problems: _Problems) -> dict[str, tuple[AnswerOption, ...]]:
    sets: dict[str, tuple[AnswerOption, ...]] = {}
    for name, options in _map(raw, "option_sets", problems).items():
        parsed: list[AnswerOption] = []
        for entry in _list(options, f"option set {name}", problems):
            data = _map(entry, f"option set {name}", problems)
            value = _int(data.get("value"), f"option set {name} value", problems)
            parsed.append(
                AnswerOption(value=value, label=_str(data, "label", problems, required=False))
            )
        values = [option.value for option in parsed]
        if not parsed:
            problems.add(f"option set {name} has no options")
        if len(set(values)) != len(values):
            problems.add(f"option set {name} repeats a value: {values}")
        sets[name] = tuple(parsed)
    return sets


def _items(
    raw: object, sets: Mapping[str, tuple[AnswerOption, ...]], problems: _Problems
) -> tuple[Item, ...]:
    items: list[Item] = []
    for index, entry in enumerate(_list(raw, "items", problems), start=1):
        data = _map(entry, f"item {index}", problems)
        item_id = _str(data, "id", problems)
        set_name = data.get("options")
        if not isinstance(set_name, str) or set_name not in sets:
            problems.add(f"item {item_id or index}: 'options' must name one of {sorted(sets)}")
        items.append(
            Item(
                id=item_id,
                label=_str(data, "label", problems),
                text=_str(data, "text", problems, required=False),
                options=sets.get(str(set_name), ()),
                scored=_bool(data, "scored", problems, True),
                optional=_bool(data, "optional", problems, False),
                enable_when=_conditions(
                    data.get("enable_when"), f"item {item_id} enable_when", problems
                ),
            )
        )
    ids = [item.id for item in items]
    duplicates = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if duplicates:
        problems.add(f"duplicate item ids: {', '.join(duplicates)}")
    if not items:
        problems.add("an instrument needs at least one item")
    return tuple(items)


def _domains(raw: object, where: str, problems: _Problems) -> tuple[Domain, ...]:
    domains = []
    for entry in _list(raw, where, problems):
        data = _map(entry, where, problems)
        domains.append(
            Domain(
                name=_str(data, "name", problems), items=_names(data.get("items"), where, problems)
            )
        )
    return tuple(domains)


def _scoring(raw: object, problems: _Problems) -> Scoring:
    data = _map(raw, "scoring", problems)
    kind = _enum(ScoringKind, data.get("kind"), "scoring kind", problems) or ScoringKind.SUM
    if "items" in data:  # SUM shorthand: every listed item is its own domain
        domains = tuple(
            Domain(name=item_id, items=(item_id,))
            for item_id in _names(data["items"], "scoring items", problems)
        )
    else:
        domains = _domains(data.get("domains"), "scoring domains", problems)
    tiers = []
    for entry in _list(data.get("tiers"), "scoring tiers", problems):
        tier = _map(entry, "scoring tier", problems)
        tiers.append(
            Tier(
                category=_str(tier, "category", problems),
                when=_conditions(tier.get("when"), "tier when", problems),
                source=_str(tier, "source", problems),
            )
        )
    declared = _list(data.get("range"), "scoring range", problems)
    score_range = None
    if declared:
        if len(declared) != 2:
            problems.add("scoring range must be [min, max]")
        else:
            score_range = (
                _int(declared[0], "range min", problems),
                _int(declared[1], "range max", problems),
            )
    cluster = None
    if "cluster_rule" in data:
        rule = _map(data["cluster_rule"], "cluster_rule", problems)
        minimum = _map(rule.get("minimum"), "cluster_rule minimum", problems)
        cluster = ClusterRule(
            name=_str(rule, "name", problems),
            endorsed_at_least=_int(rule.get("endorsed_at_least"), "endorsed_at_least", problems),
            minimum=tuple(
                (name, _int(count, f"minimum {name}", problems)) for name, count in minimum.items()
            ),
            source=_str(rule, "source", problems),
        )
    derived = []
    for entry in _list(data.get("derived"), "derived", problems):
        spec = _map(entry, "derived", problems)
        derived.append(
            Derived(
                name=_str(spec, "name", problems),
                multiplier=_int(spec.get("multiplier"), "derived multiplier", problems),
                source=_str(spec, "source", problems),
            )
        )
    flags = []
    for entry in _list(data.get("flags"), "flags", problems):
        spec = _map(entry, "flag", problems)
        op = _enum(Op, spec.get("op"), "flag op", problems)
        if op is not None:
            flags.append(
                ScoreFlag(
                    name=_str(spec, "name", problems),
                    score=_str(spec, "score", problems),
                    op=op,
                    value=_int(spec.get("value"), "flag value", problems),
                    source=_str(spec, "source", problems),
                )
            )
    bands = []
    for entry in _list(data.get("bands"), "bands", problems):
        spec = _map(entry, "band", problems)
        bands.append(
            Band(
                code=_str(spec, "code", problems),
                label=_str(spec, "label", problems),
                min=_int(spec.get("min"), "band min", problems),
                max=_int(spec.get("max"), "band max", problems),
            )
        )
    return Scoring(
        kind=kind,
        rule_id=_str(data, "rule_id", problems),
        rule_text=_str(data, "rule_text", problems),
        domains=domains,
        tiers=tuple(tiers),
        otherwise=_str(data, "otherwise", problems, required=kind is ScoringKind.TIERS),
        range=score_range,
        derived=tuple(derived),
        subscales=_domains(data.get("subscales"), "subscales", problems),
        cluster_rule=cluster,
        flags=tuple(flags),
        bands=tuple(bands),
        bands_source=_str(data, "bands_source", problems, required=bool(bands)),
    )


def _alerts(raw: object, problems: _Problems) -> tuple[AlertRule, ...]:
    rules = []
    for entry in _list(raw, "alerts", problems):
        data = _map(entry, "alert", problems)
        severity = _enum(AlertSeverity, data.get("severity"), "alert severity", problems)
        rules.append(
            AlertRule(
                id=_str(data, "id", problems),
                severity=severity or AlertSeverity.URGENT,
                when=_conditions(data.get("when"), "alert when", problems),
                message=_str(data, "message", problems),
                source=_str(data, "source", problems),
                unanswered_message=_str(data, "unanswered_message", problems, required=False),
            )
        )
    return tuple(rules)


def parse_instrument(data: Mapping[str, object], *, source: str) -> Instrument:
    """Build and validate one instrument; raise InstrumentDefinitionError listing every problem."""
    problems = _Problems()
    licence = _map(data.get("licence"), "licence", problems)
    loinc = _map(data.get("loinc"), "loinc", problems)
    missing = _map(data.get("missing"), "missing", problems)
    sets = _option_sets(data.get("option_sets"), problems)
    instrument = Instrument(
        code=_str(data, "code", problems),
        version=_str(data, "version", problems),
        title=_str(data, "title", problems),
        description=_str(data, "description", problems),
        source=_str(data, "source", problems),
        lower_is_better=_bool(data, "lower_is_better", problems, True),
        licence=Licence(
            status=_enum(LicenceStatus, licence.get("status"), "licence status", problems)
            or LicenceStatus.UNKNOWN,
            required=_bool(licence, "required", problems, True),
            holder=_str(licence, "holder", problems, required=False),
            source=_str(licence, "source", problems),
        ),
        loinc=Loinc(
            panel=_str(loinc, "panel", problems, required=False),
            total=_str(loinc, "total", problems, required=False),
            total_display=_str(loinc, "total_display", problems, required=False),
            source=_str(loinc, "source", problems, required=False),
        ),
        items=_items(data.get("items"), sets, problems),
        scoring=_scoring(data.get("scoring"), problems),
        missing=MissingRule(
            kind=_enum(MissingRuleKind, missing.get("kind"), "missing kind", problems)
            or MissingRuleKind.REFUSE,
            source=_str(missing, "source", problems),
        ),
        alerts=_alerts(data.get("alerts"), problems),
        stem=_str(data, "stem", problems, required=False),
        notes=_names(data.get("notes"), "notes", problems),
    )
    if not problems.items:
        problems.items.extend(validate(instrument))
    if problems.items:
        raise InstrumentDefinitionError(source, problems.items)
    return instrument


def load_file(path: Path) -> Instrument:
    """Parse one JSON instrument file (its path names it in every error)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InstrumentDefinitionError(str(path), [f"cannot read JSON: {error}"]) from error
    if not isinstance(data, dict):
        raise InstrumentDefinitionError(str(path), ["the file must hold one JSON object"])
    return parse_instrument(data, source=path.name)


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
