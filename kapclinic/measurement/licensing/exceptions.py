"""Refusals of the licensed-wording services (subclasses of the measurement app's base)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kapclinic.measurement.exceptions import MeasurementError


@dataclass(frozen=True)
class Problem:
    """One problem of a wording file: ``item`` is the item id it is about ("" for the file)."""

    item: str
    message: str

    def __str__(self) -> str:
        return f"{self.item}: {self.message}" if self.item else self.message


class LicensedWordingError(MeasurementError):
    """A load or a retirement refused; nothing was written. ``field`` names the form field the
    message is about ("" for the whole form); ``problems`` lists every problem of a refused
    wording file, item by item, so one attempt reports them all."""

    def __init__(self, message: str, *, field: str = "", problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.problems = tuple(problems)
