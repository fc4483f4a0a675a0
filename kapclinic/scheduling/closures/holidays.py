"""Public holidays from jurisdiction data kept in the repository (``data/*.toml``), as dates of
one year (pure; no holiday library at runtime). Today: the US federal holidays of
5 U.S.C. 6103, observed on the Friday before when they fall on a Saturday and the Monday after
on a Sunday (5 U.S.C. 6103(b); Executive Order 11582)."""

from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
US_FEDERAL: Final = "us-federal-holidays"
SATURDAY, SUNDAY = 5, 6


@dataclass(frozen=True)
class Holiday:
    name: str
    day: date  # the day it is observed (the day off)
    actual: date  # the day itself

    @property
    def label(self) -> str:
        return self.name if self.day == self.actual else f"{self.name} (observed)"


@cache
def _table(name: str) -> dict[str, Any]:
    with (DATA_DIR / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def source(name: str = US_FEDERAL) -> str:
    return str(_table(name)["source"])


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    days = [
        date(year, month, d)
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    return days[nth - 1] if nth > 0 else days[nth]


def _observed(day: date) -> date:
    if day.weekday() == SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1)
    return day


def holidays(year: int, name: str = US_FEDERAL) -> tuple[Holiday, ...]:
    """The holidays of ``year`` in table ``name``, in date order, each with the day it is
    observed (New Year's Day falling on a Saturday is observed on 31 December before)."""
    found = []
    for row in _table(name)["holiday"]:
        if "day" in row:
            actual = date(year, row["month"], row["day"])
        else:
            actual = _nth_weekday(year, row["month"], row["weekday"], row["nth"])
        found.append(Holiday(name=row["name"], day=_observed(actual), actual=actual))
    return tuple(sorted(found, key=lambda h: h.day))
