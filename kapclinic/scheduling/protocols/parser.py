"""Build a ``Protocol`` from its JSON document, checking it item by item.

Every problem is reported at once, in words that name where it is ("session type 'dose',
phase 2: minutes must be a whole number from 1 to 600, not 0"), so an admin who publishes a
version sees everything to fix in one answer. Shape checks come first (types, required keys,
unknown keys); the checks across the document (``checks``) run when the shape is right.
``to_document`` (in ``documents``, re-exported here) is the inverse: the document a version
stores, and the one the edit form shows.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Final, TypeVar

from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.protocols.checks import cross_checks
from kapclinic.scheduling.protocols.definition import (
    CheckItem,
    ClinicSetting,
    Equipment,
    Integration,
    IntegrationCadence,
    Modality,
    Monitoring,
    OutlineStep,
    Phase,
    PreDoseChecks,
    Protocol,
    Resources,
    RoomKind,
    SessionKind,
    SessionType,
    Source,
    Spacing,
    SpacingStage,
)
from kapclinic.scheduling.protocols.documents import to_document

__all__ = ["parse_protocol", "to_document"]

CODE: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
RULE_ID: Final = re.compile(r"^R-[A-Z]+-\d+$")
MAX_TEXT: Final = 2000
MAX_PHASE_MINUTES: Final = 600
MAX_DAYS: Final = 366
MAX_WEEKS: Final = 520

_TOP: Final = {
    "code",
    "name",
    "modality",
    "summary",
    "sources",
    "session_types",
    "outline",
    "spacing",
    "measurement_plan",
    "clinic_settings",
    "monitoring",
}

_E = TypeVar("_E", bound=StrEnum)


class _Reader:
    """Reads one JSON object, collecting problems prefixed with where it is."""

    def __init__(self, data: object, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        if isinstance(data, dict):
            self.data: dict[str, Any] = data
        else:
            self.add(f"must be an object with named values, not {_shown(data)}")
            self.data = {}

    def add(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}" if self.where else message)

    def only(self, keys: set[str]) -> None:
        unknown = sorted(set(self.data) - keys)
        if unknown:
            names = ", ".join(f"'{key}'" for key in unknown)
            self.add(f"unknown {'entry' if len(unknown) == 1 else 'entries'} {names}")

    def text(
        self, key: str, *, required: bool = True, pattern: re.Pattern[str] | None = None
    ) -> str:
        value = self.data.get(key, None if required else "")
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(f"'{key}' must be {'non-empty ' if required else ''}text")
            return ""
        value = value.strip()
        if len(value) > MAX_TEXT:
            self.add(f"'{key}' is longer than {MAX_TEXT} characters")
        if pattern is not None and value and not pattern.match(value):
            self.add(f"'{key}' {_pattern_words(pattern)}, not {value!r}")
        return value

    def whole(self, key: str, low: int, high: int, *, optional: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        # bool is an int subclass in Python: JSON true must not pass as 1.
        if type(value) is not int or not low <= value <= high:
            words = f"a whole number from {low} to {high}"
            self.add(
                f"'{key}' must be {words}{' or null' if optional else ''}, not {_shown(value)}"
            )
            return None
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.add(f"'{key}' must be true or false, not {_shown(value)}")
            return default
        return value

    def items(self, key: str, *, required: bool = True) -> list[object]:
        value = self.data.get(key, None if required else [])
        if not isinstance(value, list) or (required and not value):
            self.add(f"'{key}' must be a {'non-empty ' if required else ''}list")
            return []
        return value

    def texts(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        found = []
        for index, value in enumerate(self.items(key, required=required), start=1):
            if not isinstance(value, str) or not value.strip():
                self.add(f"'{key}' entry {index} must be non-empty text")
            else:
                found.append(value.strip())
        return tuple(found)

    def choice(self, key: str, kind: type[_E]) -> _E | None:
        value = self.data.get(key)
        found = _member(kind, value)
        if found is None:
            known = ", ".join(member.value for member in kind)
            self.add(f"'{key}' must be one of {known}, not {_shown(value)}")
        return found


def _member(kind: type[_E], value: object) -> _E | None:
    if isinstance(value, str):
        for member in kind:
            if member.value == value:
                return member
    return None


def _shown(value: object) -> str:
    if value is None:
        return "nothing"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _pattern_words(pattern: re.Pattern[str]) -> str:
    if pattern is RULE_ID:
        return "must be a rule id of the clinical reference, such as R-INT-1"
    return "must be lower-case letters, digits and hyphens (at most 40)"


def _sources(reader: _Reader) -> tuple[Source, ...]:
    found = []
    for index, raw in enumerate(reader.items("sources"), start=1):
        source = _Reader(raw, f"source {index}", reader.problems)
        source.only({"rule_id", "text"})
        found.append(Source(source.text("rule_id", pattern=RULE_ID), source.text("text")))
    return tuple(found)


def _rule_ids(reader: _Reader, key: str) -> tuple[str, ...]:
    ids = reader.texts(key, required=False)
    for rule_id in ids:
        if not RULE_ID.match(rule_id):
            reader.add(f"'{key}' must list rule ids such as R-INT-1, not {rule_id!r}")
    return ids


def _phases(reader: _Reader) -> tuple[Phase, ...]:
    phases = []
    for index, raw in enumerate(reader.items("phases"), start=1):
        phase = _Reader(raw, f"{reader.where}, phase {index}", reader.problems)
        phase.only({"name", "minutes", "observation"})
        phases.append(
            Phase(
                name=phase.text("name"),
                minutes=phase.whole("minutes", 1, MAX_PHASE_MINUTES) or 0,
                observation=phase.flag("observation", False),
            )
        )
    return tuple(phases)


def _resources(reader: _Reader) -> Resources:
    resources = _Reader(reader.data.get("resources"), f"{reader.where}, resources", reader.problems)
    resources.only(
        {"room_kind", "equipment", "patients_per_nurse", "prescriber_on_site", "therapist"}
    )
    equipment = []
    for value in resources.items("equipment", required=False):
        item = _member(Equipment, value)
        if item is None:
            known = ", ".join(member.value for member in Equipment)
            resources.add(f"'equipment' must list items among {known}, not {_shown(value)}")
        else:
            equipment.append(item)
    if len(set(equipment)) != len(equipment):
        resources.add("'equipment' names an item twice")
    return Resources(
        room_kind=resources.choice("room_kind", RoomKind) or RoomKind.CONSULT,
        equipment=tuple(equipment),
        patients_per_nurse=resources.whole("patients_per_nurse", 1, 20, optional=True),
        prescriber_on_site=resources.flag("prescriber_on_site", False),
        therapist=resources.flag("therapist", False),
    )


_CHECKS_KEYS: Final = {
    "items",
    "fasting_food_hours",
    "fasting_liquid_minutes",
    "bp_hold_systolic",
    "bp_hold_diastolic",
}


def _pre_dose_checks(reader: _Reader) -> PreDoseChecks | None:
    """A session type's ``pre_dose_checks`` (issue 15.3), or None when it names none."""
    raw = reader.data.get("pre_dose_checks")
    if raw is None:
        return None
    checks = _Reader(raw, f"{reader.where}, pre-dose checks", reader.problems)
    checks.only(_CHECKS_KEYS)
    items = []
    for value in checks.items("items"):
        item = _member(CheckItem, value)
        if item is None:
            known = ", ".join(member.value for member in CheckItem)
            checks.add(f"'items' must list checks among {known}, not {_shown(value)}")
        else:
            items.append(item)
    if len(set(items)) != len(items):
        checks.add("'items' names a check twice")
    default = PreDoseChecks(items=())
    return PreDoseChecks(
        items=tuple(items),
        fasting_food_hours=_number(checks, "fasting_food_hours", 24, default.fasting_food_hours),
        fasting_liquid_minutes=_number(
            checks, "fasting_liquid_minutes", 600, default.fasting_liquid_minutes
        ),
        bp_hold_systolic=_number(checks, "bp_hold_systolic", 250, default.bp_hold_systolic),
        bp_hold_diastolic=_number(checks, "bp_hold_diastolic", 150, default.bp_hold_diastolic),
    )


def _number(reader: _Reader, key: str, high: int, default: int) -> int:
    """A whole number 0..``high`` when given; ``default`` (the reference's) when not."""
    if key not in reader.data:
        return default
    value = reader.whole(key, 0, high)
    return default if value is None else value


def _session_types(reader: _Reader) -> tuple[SessionType, ...]:
    found = []
    for index, raw in enumerate(reader.items("session_types"), start=1):
        code = raw.get("code") if isinstance(raw, dict) else None
        where = (
            f"session type '{code}'" if isinstance(code, str) and code else f"session type {index}"
        )
        session = _Reader(raw, where, reader.problems)
        session.only(
            {
                "code",
                "name",
                "kind",
                "phases",
                "resources",
                "instructions",
                "sources",
                "pre_dose_checks",
            }
        )
        found.append(
            SessionType(
                code=session.text("code", pattern=CODE),
                name=session.text("name"),
                kind=session.choice("kind", SessionKind) or SessionKind.THERAPY,
                phases=_phases(session),
                resources=_resources(session),
                instructions=session.texts("instructions", required=False),
                sources=_rule_ids(session, "sources"),
                pre_dose_checks=_pre_dose_checks(session),
            )
        )
    return tuple(found)


def _integration(raw: object, where: str, problems: list[str]) -> Integration | None:
    if raw is None:
        return None
    integration = _Reader(raw, f"{where}, integration", problems)
    integration.only({"session_type", "cadence", "min_days_after", "max_days_after", "rule_id"})
    return Integration(
        session_type=integration.text("session_type"),
        cadence=integration.choice("cadence", IntegrationCadence) or IntegrationCadence.EVERY_DOSE,
        min_days_after=integration.whole("min_days_after", 0, MAX_DAYS) or 0,
        max_days_after=integration.whole("max_days_after", 0, MAX_DAYS) or 0,
        rule_id=integration.text("rule_id", pattern=RULE_ID),
    )


def _outline(reader: _Reader) -> tuple[OutlineStep, ...]:
    steps = []
    for index, raw in enumerate(reader.items("outline"), start=1):
        step = _Reader(raw, f"outline step {index}", reader.problems)
        step.only({"session_type", "min_count", "max_count", "rule_id", "integration", "note"})
        steps.append(
            OutlineStep(
                session_type=step.text("session_type"),
                min_count=step.whole("min_count", 0, 100) or 0,
                max_count=step.whole("max_count", 1, 100) or 1,
                rule_id=step.text("rule_id", pattern=RULE_ID),
                integration=_integration(step.data.get("integration"), step.where, step.problems),
                note=step.text("note", required=False),
            )
        )
    return tuple(steps)


def _spacing(reader: _Reader) -> Spacing:
    spacing = _Reader(reader.data.get("spacing"), "spacing", reader.problems)
    spacing.only({"session_types", "stages"})
    stages = []
    for index, raw in enumerate(spacing.items("stages"), start=1):
        stage = _Reader(raw, f"spacing stage {index}", reader.problems)
        stage.only(
            {
                "name",
                "from_week",
                "to_week",
                "min_days_between",
                "max_days_between",
                "max_per_week",
                "rule_id",
                "note",
            }
        )
        stages.append(
            SpacingStage(
                name=stage.text("name"),
                from_week=stage.whole("from_week", 1, MAX_WEEKS) or 1,
                to_week=stage.whole("to_week", 1, MAX_WEEKS, optional=True),
                min_days_between=stage.whole("min_days_between", 0, MAX_DAYS) or 0,
                max_days_between=stage.whole("max_days_between", 1, MAX_DAYS, optional=True),
                max_per_week=stage.whole("max_per_week", 1, 7, optional=True),
                rule_id=stage.text("rule_id", pattern=RULE_ID),
                note=stage.text("note", required=False),
            )
        )
    return Spacing(session_types=spacing.texts("session_types"), stages=tuple(stages))


def _clinic_settings(reader: _Reader) -> tuple[ClinicSetting, ...]:
    found = []
    for index, raw in enumerate(reader.items("clinic_settings", required=False), start=1):
        setting = _Reader(raw, f"clinic setting {index}", reader.problems)
        setting.only({"what", "value", "why"})
        found.append(
            ClinicSetting(setting.text("what"), setting.text("value"), setting.text("why"))
        )
    return tuple(found)


_MONITORING: Final = {
    "during_dose_minutes",
    "after_dose_minutes",
    "bp_check_after_dose_minutes",
    "bp_check_window_minutes",
    "overdue_after_minutes",
    "rule_id",
}


def _monitoring(reader: _Reader) -> Monitoring | None:
    """Issue 15.5: the monitoring cadence (R-IV-4, R-REMS-3); absent: the modality's default."""
    raw = reader.data.get("monitoring")
    if raw is None:
        return None
    monitoring = _Reader(raw, "monitoring", reader.problems)
    monitoring.only(_MONITORING)
    return Monitoring(
        during_dose_minutes=monitoring.whole("during_dose_minutes", 1, 120) or 1,
        after_dose_minutes=monitoring.whole("after_dose_minutes", 1, 120) or 1,
        bp_check_after_dose_minutes=monitoring.whole(
            "bp_check_after_dose_minutes", 1, MAX_PHASE_MINUTES, optional=True
        ),
        bp_check_window_minutes=monitoring.whole("bp_check_window_minutes", 0, 30) or 0,
        overdue_after_minutes=monitoring.whole("overdue_after_minutes", 0, 30) or 0,
        rule_id=monitoring.text("rule_id", pattern=RULE_ID),
    )


def parse_protocol(data: object) -> Protocol:
    """The protocol ``data`` describes; raises ProtocolDefinitionError listing every problem."""
    problems: list[str] = []
    top = _Reader(data, "", problems)
    if problems:  # not an object: nothing else can be read
        raise ProtocolDefinitionError(problems)
    top.only(_TOP)
    protocol = Protocol(
        code=top.text("code", pattern=CODE),
        name=top.text("name"),
        modality=top.choice("modality", Modality) or Modality.TALK_THERAPY,
        summary=top.text("summary"),
        sources=_sources(top),
        session_types=_session_types(top),
        outline=_outline(top),
        spacing=_spacing(top),
        measurement_plan=top.text("measurement_plan", pattern=CODE),
        clinic_settings=_clinic_settings(top),
        monitoring=_monitoring(top),
    )
    if not problems:
        problems.extend(cross_checks(protocol))
    if problems:
        raise ProtocolDefinitionError(problems)
    return protocol
