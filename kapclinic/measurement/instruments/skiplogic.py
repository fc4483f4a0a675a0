"""Declarative skip logic: which items are asked, given the answers so far; answer checking.

An item with ``enable_when`` is asked only when ANY of its conditions holds, and conditions may
only name earlier items (the loader checks this), so one pass in item order decides it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kapclinic.measurement.exceptions import InvalidAnswersError
from kapclinic.measurement.instruments.definition import Condition, Instrument, Item

Answers = Mapping[str, int]


def condition_holds(condition: Condition, answers: Answers) -> bool:
    """``answers[item] <op> value``; an unanswered item satisfies no condition."""
    value = answers.get(condition.item)
    return value is not None and condition.op.holds(value, condition.value)


def any_holds(conditions: Iterable[Condition], answers: Answers) -> bool:
    return any(condition_holds(condition, answers) for condition in conditions)


def visible_items(definition: Instrument, answers: Answers) -> tuple[Item, ...]:
    """The items asked, in order, given ``answers`` (only answers to asked items count)."""
    asked: list[Item] = []
    counted: dict[str, int] = {}
    for item in definition.items:
        if not item.enable_when or any_holds(item.enable_when, counted):
            asked.append(item)
            if item.id in answers:
                counted[item.id] = answers[item.id]
    return tuple(asked)


def check_answers(definition: Instrument, answers: Answers) -> None:
    """Raise InvalidAnswersError naming every answer that cannot belong to this response.

    Refused: unknown item ids, non-integer values (including booleans), values that are not
    among the item's answer options, and answers to items the skip logic does not ask.
    Unanswered items are not checked here; scoring reports them.
    """
    problems: list[str] = []
    known = set(definition.item_ids)
    for item_id, value in answers.items():
        if item_id not in known:
            problems.append(f"unknown item '{item_id}'")
            continue
        item = definition.item(item_id)
        if type(value) is not int:
            problems.append(f"item '{item_id}': answer {value!r} is not a whole number")
        elif value not in item.values:
            allowed = ", ".join(str(option) for option in sorted(item.values))
            problems.append(f"item '{item_id}': {value} is not one of its answers ({allowed})")
    if not problems:
        asked = {item.id for item in visible_items(definition, answers)}
        for item_id in answers:
            if item_id not in asked:
                problems.append(
                    f"item '{item_id}' is not asked with these answers (skip logic), "
                    "so it cannot be answered"
                )
    if problems:
        msg = f"{definition.code} v{definition.version}"
        raise InvalidAnswersError(msg, problems)
