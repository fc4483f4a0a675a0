"""The patient's scores as plain-language trends for the portal ("Your PHQ-9 went from 18 in
October to 9 last week: a big improvement").

Read from the outcome graph (``measurement.outcomes.graph``: the care's completed responses, answers
given at eligibility screening left out) and its course outcome (``measurement.outcomes``:
response R-OUT-8, reliable change). Only course outcome measures are described; no severity
bands and no clinical terms are shown: a change for the worse is named as something the care
team will talk through, never as an alarm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kapclinic.measurement.outcomes.graph import Series, build_outcome_graph
from kapclinic.measurement.outcomes.rules import CourseOutcome, ReliableChange
from kapclinic.patients.models import Patient

WORSE = "a change your care team will talk through with you"


@dataclass(frozen=True)
class Trend:
    title: str  # the questionnaire's short name: "PHQ-9"
    sentence: str


def when(day: date, today: date) -> str:
    """A day as a person says it: "today", "yesterday", "this week", "last week", "in October"
    (with the year when it is not this year's)."""
    days = (today - day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return "this week"
    if days < 14:
        return "last week"
    month = day.strftime("%B")
    return f"in {month}" if day.year == today.year else f"in {month} {day.year}"


def verdict(outcome: CourseOutcome) -> str:
    """How the latest score compares with the course baseline, in plain words."""
    if outcome.response.value is True:
        return "a big improvement"
    change = outcome.reliable_change.value
    if change == ReliableChange.IMPROVED:
        return "an improvement"
    if change == ReliableChange.DETERIORATED:
        return WORSE
    return "about the same"


def describe(series: Series, outcome: CourseOutcome, today: date) -> str:
    """One sentence about one questionnaire's scores and their course ``outcome``."""
    if outcome.baseline.value is None or outcome.latest is None:
        only = series.points[-1]
        return (
            f"Your first {series.title} score was {only.score}, {when(only.at.date(), today)}. "
            "Your care team compares the next ones with it."
        )
    # The course outcome is built from the graph's points: charted scores (WHO-5 as a
    # percentage), at times in the clinic's time zone.
    first, last = outcome.baseline.value, outcome.latest
    return (
        f"Your {series.title} went from {first.score} {when(first.at.date(), today)} to "
        f"{last.score} {when(last.at.date(), today)}: {verdict(outcome)}."
    )


def list_trends(patient: Patient, today: date) -> list[Trend]:
    """The patient's course outcome questionnaires, each as one plain sentence (one query)."""
    graph = build_outcome_graph(patient)
    return [
        Trend(title=series.title, sentence=describe(series, series.outcome, today))
        for series in graph.series
        if series.outcome is not None and series.points
    ]
