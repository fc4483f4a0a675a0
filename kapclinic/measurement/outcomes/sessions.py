"""Where the outcome graph's session marks come from: the sessions a patient had, recorded by
the app that books them.

Measurement sits below scheduling in the app layers (pyproject.toml: scheduling calls
measurement's plan hooks when sessions are booked, attended or cancelled), so the graph cannot
import the appointments. Instead, as the chart's timeline does with its sources
(``kapclinic.patients.timeline.register_source``), this module names what the graph needs, a
function from a patient to their session marks, and scheduling registers one in its
``AppConfig.ready()`` (``kapclinic.scheduling.graph_marks``: the attended dosing and therapy
appointments of the patient's courses). The graph then marks the real sessions; for a patient
whose sessions were never booked here (no recorded session: history from before the calendar,
or a test without scheduling's data), it infers them from the questionnaires taken before and
after each one (``graph.infer_sessions``), as it did before.

A source must run a constant number of queries (one) whatever the patient's history, and
returns its marks oldest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from kapclinic.patients.models import Patient


@dataclass(frozen=True)
class SessionMark:
    at: datetime
    ref: UUID | None
    kind: str  # "dosing", "therapy", or "session" when not known (inferred from responses)
    label: str
    source: str  # "assessments" (inferred) or the app that recorded the session


SessionSource = Callable[["Patient"], list[SessionMark]]

_sources: dict[str, SessionSource] = {}


def register_session_source(name: str, source: SessionSource) -> None:
    """Add a source of recorded sessions (from an AppConfig.ready()); a second registration
    of a name with another function is a bug."""
    if name in _sources and _sources[name] is not source:
        msg = f"session source {name!r} is already registered"
        raise ValueError(msg)
    _sources[name] = source


def recorded_sessions(patient: Patient) -> list[SessionMark]:
    """The patient's sessions from every registered source, oldest first (empty: none)."""
    marks = [mark for source in _sources.values() for mark in source(patient)]
    return sorted(marks, key=lambda mark: mark.at)
