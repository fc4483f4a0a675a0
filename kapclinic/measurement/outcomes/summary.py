"""The course findings under each outcome graph, in words, each with the rule that produced it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kapclinic.measurement.instruments.definition import RuleRef
from kapclinic.measurement.outcomes.rules import CourseOutcome, Finding, ReliableChange, ScorePoint

_RELIABLE: dict[ReliableChange, str] = {
    ReliableChange.IMPROVED: "reliable improvement",
    ReliableChange.DETERIORATED: "reliable deterioration",
    ReliableChange.NO_RELIABLE_CHANGE: "no reliable change",
}


@dataclass(frozen=True)
class SummaryRow:
    label: str
    value: str
    rule: RuleRef
    decided: bool = True


def _day(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).date().isoformat()


def _yes_no(finding: Finding[bool], yes: str, no: str) -> tuple[str, bool]:
    if finding.value is None:
        return f"not decided: {finding.reason}", False
    return (yes if finding.value else no), True


def summary_rows(outcome: CourseOutcome, zone: ZoneInfo) -> list[SummaryRow]:
    """Baseline, latest, change, response, remission, reliable change, time to first response,
    durability and relapse, in that order."""
    rows: list[SummaryRow] = []
    base = outcome.baseline
    rows.append(
        SummaryRow(
            "Baseline",
            _score(base.value, zone) if base.value else f"not decided: {base.reason}",
            base.rule,
            base.decided,
        )
    )
    change = outcome.absolute_change
    if outcome.latest is not None:
        rows.append(SummaryRow("Latest", _score(outcome.latest, zone), change.rule))
    if change.value is not None:
        percent = outcome.percent_change
        text = f"{change.value:+d} points"
        text += f" ({percent.value:+}%)" if percent.value is not None else f" ({percent.reason})"
        rows.append(SummaryRow("Change from baseline", text, change.rule))
    value, decided = _yes_no(
        outcome.response, "response (50% or more below baseline)", "no response"
    )
    rows.append(SummaryRow("Response at the latest score", value, outcome.response.rule, decided))
    remission_max = outcome.rules.remission_max
    value, decided = _yes_no(
        outcome.remission, f"remission ({remission_max} or less)", "not in remission"
    )
    rows.append(SummaryRow("Remission at the latest score", value, outcome.remission.rule, decided))
    reliable = outcome.reliable_change
    rows.append(
        SummaryRow(
            "Reliable change",
            _RELIABLE[reliable.value] if reliable.value else f"not decided: {reliable.reason}",
            reliable.rule,
            reliable.decided,
        )
    )
    meaningful = outcome.clinically_meaningful_change
    if meaningful.value is not None:
        value, _ = _yes_no(meaningful, "clinically meaningful change", "not clinically meaningful")
        rows.append(SummaryRow("Clinically meaningful change", value, meaningful.rule))
    first = outcome.time_to_first_response_days
    rows.append(
        SummaryRow(
            "Time to first response",
            f"first response after {first.value} days"
            if first.value is not None
            else f"not decided: {first.reason}",
            first.rule,
            first.decided,
        )
    )
    lasting = outcome.durability_days
    rows.append(
        SummaryRow(
            "Durability of response",
            f"in response for {lasting.value} days"
            if lasting.value is not None
            else f"not decided: {lasting.reason}",
            lasting.rule,
            lasting.decided,
        )
    )
    relapse = outcome.relapse
    value, decided = _yes_no(relapse, "relapse after response", "no relapse")
    if relapse.value and outcome.relapse_confirmed_at is not None:
        value += f" (confirmed {_day(outcome.relapse_confirmed_at, zone)})"
    rows.append(SummaryRow("Relapse after response", value, relapse.rule, decided))
    return rows


def _score(point: ScorePoint, zone: ZoneInfo) -> str:
    return f"{point.score} on {_day(point.at, zone)}"
