"""The sessions a planned course is made of, in outline order (pure).

Each outline step gives its count of sessions (the fewest it allows unless the request says
otherwise); a dosing step with integration (R-INT-1) gives, after each dose its cadence names
(R-INT-2), an integration session tied to that dose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kapclinic.scheduling.protocols.definition import Integration, Protocol, SessionType


@dataclass(frozen=True)
class Item:
    index: int
    session_type: SessionType
    step: int  # the outline step it belongs to
    number: int  # 1-based among the sessions of its type
    follows: int | None = None  # integration: the index of the dose it follows
    integration: Integration | None = None  # integration: the window it keeps
    counted: bool = False  # a dose the spacing counts


class CourseShapeError(ValueError):
    """The requested counts do not fit the protocol's outline."""


def course_items(protocol: Protocol, counts: Mapping[str, int] | None = None) -> list[Item]:
    """The course's sessions in outline order; integration right after the dose it follows."""
    items: list[Item] = []
    counted_types = set(protocol.spacing.session_types)
    for step_index, step in enumerate(protocol.outline):
        session_type = protocol.session_type(step.session_type)
        if session_type is None:  # pragma: no cover - the parser refuses such a protocol
            msg = f"The outline names {step.session_type!r}, which is not a session type."
            raise CourseShapeError(msg)
        count = step.min_count if counts is None else counts.get(step.session_type, step.min_count)
        if not step.min_count <= count <= step.max_count:
            msg = (
                f"{session_type.name}: {count} sessions asked for; the protocol allows "
                f"{step.min_count} to {step.max_count} ({step.rule_id})."
            )
            raise CourseShapeError(msg)
        integration = step.integration
        integration_type = (
            protocol.session_type(integration.session_type) if integration is not None else None
        )
        for number in range(1, count + 1):
            dose = Item(
                len(items),
                session_type,
                step_index,
                number,
                counted=session_type.code in counted_types,
            )
            items.append(dose)
            if (
                integration is not None
                and integration_type is not None
                and integration.cadence.follows(number)
            ):
                follows_count = sum(1 for item in items if item.follows is not None)
                items.append(
                    Item(
                        len(items),
                        integration_type,
                        step_index,
                        follows_count + 1,
                        follows=dose.index,
                        integration=integration,
                    )
                )
    return items
