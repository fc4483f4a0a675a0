"""Answer builders shared by the measurement tests."""

from __future__ import annotations

from kapclinic.measurement.instruments.definition import Instrument
from kapclinic.measurement.instruments.skiplogic import visible_items


def answer_all(definition: Instrument, *, highest: bool, **overrides: int) -> dict[str, int]:
    """Answer every asked, non-optional item with its lowest (or highest) value, in order, so
    that skip logic sees earlier answers; ``overrides`` fix chosen items first."""
    answers: dict[str, int] = {}
    for item in definition.items:
        if item.id not in {i.id for i in visible_items(definition, answers)}:
            continue
        if item.id in overrides:
            answers[item.id] = overrides[item.id]
        elif not item.optional:
            answers[item.id] = max(item.values) if highest else min(item.values)
    return answers


def numbered(prefix: str, values: list[int]) -> dict[str, int]:
    """{"<prefix>_1": values[0], ...}."""
    return {f"{prefix}_{index}": value for index, value in enumerate(values, start=1)}
