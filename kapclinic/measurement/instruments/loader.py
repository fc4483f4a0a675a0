"""Build an ``Instrument`` from its JSON data and validate it; every problem is reported at once.

Checks (docs/measurement.md lists them with examples): unique item ids; answer option values
unique integers; skip-logic, scoring, flag and alert references point at real items and
answer values; every scored item is scored exactly once; the declared score range equals the
range the items allow; severity bands are contiguous and cover exactly that range; scoring,
licence, missing-item and alert kinds are known; licensed instruments ship no item text; and
LOINC codes appear only where clinical reference §7.3 verifies them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

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
from kapclinic.measurement.instruments.validation import validate


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
