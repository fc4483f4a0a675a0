"""The scheduling app's refusals; each message is safe to show to staff."""

from __future__ import annotations

from collections.abc import Sequence

from kapclinic.core.exceptions import DomainError


class SchedulingError(DomainError):
    """A scheduling rule refused the action; ``field`` names the form field it concerns."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ProtocolDefinitionError(SchedulingError):
    """A protocol document failed validation; ``problems`` lists every problem, in words."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(
            f"The protocol has {count} problem{'s' if count != 1 else ''} to fix: "
            + "; ".join(self.problems),
            field="document",
        )


class ResourceTakenError(SchedulingError):
    """A room chair, staff member or the patient is already booked at an overlapping time.
    Never overridable: the database refuses the double booking too."""
