"""Safety alert rules, evaluated on the answers themselves (pure).

Alerts read answers, not totals, so an incomplete response that cannot be scored still raises
every alert its answers justify (a 'yes' on an ASQ question fires even if another is blank).
Creating the safety task from an ``Alert`` is the services layer's job; acting on it is
kapclinic.measurement.safety.services's.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapclinic.measurement.instruments.definition import AlertSeverity, Instrument
from kapclinic.measurement.instruments.skiplogic import (
    Answers,
    check_answers,
    condition_holds,
    visible_items,
)


@dataclass(frozen=True)
class Alert:
    rule_id: str  # e.g. "R-OUT-1.item9"; "<rule id>.unanswered" for a blank safety question
    severity: AlertSeverity
    message: str
    source: str  # the reference rule / published source
    triggered_by: tuple[tuple[str, int], ...] = ()  # (item id, answer) pairs that fired it
    unanswered: tuple[str, ...] = ()  # asked safety items left blank


def alerts(definition: Instrument, answers: Answers) -> list[Alert]:
    """Every alert rule of ``definition`` that ``answers`` trigger, in definition order.

    Raises InvalidAnswersError for answers that cannot belong to the instrument.
    """
    check_answers(definition, answers)
    asked = {item.id for item in visible_items(definition, answers)}
    found: list[Alert] = []
    for rule in definition.alerts:
        fired = tuple(
            (condition.item, answers[condition.item])
            for condition in rule.when
            if condition_holds(condition, answers)
        )
        if fired:
            found.append(
                Alert(
                    rule_id=rule.id,
                    severity=rule.severity,
                    message=rule.message,
                    source=rule.source,
                    triggered_by=fired,
                )
            )
            continue
        blank = tuple(
            dict.fromkeys(
                condition.item
                for condition in rule.when
                if condition.item in asked and condition.item not in answers
            )
        )
        if blank and rule.unanswered_message:
            found.append(
                Alert(
                    rule_id=f"{rule.id}.unanswered",
                    severity=AlertSeverity.FOLLOW_UP,
                    message=rule.unanswered_message,
                    source=rule.source,
                    unanswered=blank,
                )
            )
    return found
