from __future__ import annotations

from collections.abc import Sequence

from kapclinic.core.exceptions import DomainError


class MeasurementError(DomainError):
    """Base class for the measurement app's refusals."""


class InstrumentDefinitionError(MeasurementError):
    """An instrument definition (shipped data or a clinic's file) failed validation on load.

    ``problems`` lists every problem found, so one load reports them all.
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


class UnknownInstrumentError(MeasurementError):
    """No instrument with that code (and version) is registered."""


class InvalidAnswersError(MeasurementError):
    """Answers that cannot belong to the instrument: unknown item, value not among the item's
    answer options, or an answer to an item the skip logic does not ask.

    A *missing* answer is not an error: ``score`` reports it as a refusal with a reason.
    """

    def __init__(self, instrument: str, problems: Sequence[str]) -> None:
        self.instrument = instrument
        self.problems = tuple(problems)
        super().__init__(f"{instrument}: " + "; ".join(self.problems))


class AssessmentError(MeasurementError):
    """A response that cannot be changed as asked; nothing was written. ``items`` names the
    questions the message is about, for the form."""

    def __init__(self, message: str, *, items: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.items = tuple(items)


class LinkRefusedError(AssessmentError):
    """A one-time link that does not (or no longer) work; the message never says why."""


class SafetyTaskError(MeasurementError):
    """A safety task that cannot be acknowledged or evaluated as asked; nothing was written.
    ``field`` names the form field the message is about ("" for the whole form)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class PlanError(MeasurementError):
    """A measurement-plan action refused (enrolment, link, start, cancel); nothing was written.
    The message is safe to show to staff."""
