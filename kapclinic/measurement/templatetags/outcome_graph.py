"""Tables of the outcome graph, built in one pass: a long course has hundreds of rows, and a
template loop (or ``format_html`` per row) costs more than the rest of the page together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from kapclinic.measurement.outcomes.graph import GraphPoint, MoodPair

register = template.Library()


def _when(at: datetime, *, with_time: bool = True) -> str:
    # Formatted by hand: strftime is several times slower, and a table has hundreds of dates.
    shown = f"{at.year:04d}-{at.month:02d}-{at.day:02d}"
    if with_time:
        shown += f" {at.hour:02d}:{at.minute:02d}"
    return f'<td class="nowrap"><time datetime="{at.isoformat()}">{shown}</time></td>'


def _table_rows(rows: Iterable[str]) -> SafeString:
    # Every piece of text in the rows went through html.escape (numbers and ISO dates need none).
    return mark_safe("\n".join(rows))  # noqa: S308


@register.simple_tag
def score_rows(points: Sequence[GraphPoint]) -> SafeString:
    """Date, score, band (a dash without one) and occasion: one row per point, oldest first."""
    return _table_rows(
        f"<tr>{_when(p.at)}<td>{p.score}</td><td>{escape(p.band or '—')}</td>"
        f"<td>{escape(p.occasion_label)}</td></tr>"
        for p in points
    )


@register.simple_tag
def rating_rows(points: Sequence[GraphPoint]) -> SafeString:
    """Date, rating and occasion: one row per mood rating, oldest first."""
    return _table_rows(
        f"<tr>{_when(p.at)}<td>{p.score}</td><td>{escape(p.occasion_label)}</td></tr>"
        for p in points
    )


@register.simple_tag
def pair_rows(pairs: Sequence[MoodPair]) -> SafeString:
    """Session day, mood before, after and the change: one row per before/after pair."""
    return _table_rows(
        f"<tr>{_when(p.before.at, with_time=False)}<td>{p.before.score}</td>"
        f"<td>{p.after.score}</td><td>{p.change:+d}</td></tr>"
        for p in pairs
    )
