"""One appointment as the calendars list it (``{% calendar_entry e show_patient=True %}``): its
times, session, kind and status, an override mark, optionally the patient, the room (and chair)
and the staff.

A Python tag rather than an included template: a busy clinic's week lists a hundred entries or
more, and an ``{% include %}`` per entry (a new context, a dozen variable lookups and filters,
a URL reversed each time) was most of the week view's rendering time (issue 13's week-view
target; bench/README.md). Every value is escaped (``_e``) as the template escaped it.
"""

from __future__ import annotations

import html
from uuid import UUID

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from kapclinic.scheduling.entries import Entry

register = template.Library()

_PLACEHOLDER = UUID(int=0)
_OVERRIDE = (
    ' · <span class="cal-override" title="Booked despite the protocol\'s rules, with a'
    ' reason">override</span>'
)


def _e(value: object) -> str:
    """``value`` escaped for HTML text or an attribute: what Django's ``escape`` does
    (``html.escape``, quotes included), without its lazy-string wrapping, which dominated."""
    return html.escape(str(value))


def _appointment_url(context: template.Context, public_id: UUID) -> str:
    """The appointment page's URL, reversed once per page and filled in for each entry."""
    pattern = context.render_context.get("calendar_entry_url")
    if pattern is None:
        pattern = reverse("calendar:appointment", args=[_PLACEHOLDER])
        context.render_context["calendar_entry_url"] = pattern
    return str(pattern).replace(str(_PLACEHOLDER), str(public_id))


@register.simple_tag(takes_context=True)
def calendar_entry(context: template.Context, e: Entry, *, show_patient: bool) -> SafeString:
    a = e.appointment
    patient = (
        f'<span class="cal-line">{_e(a.patient.family_name)}, {_e(a.patient.given_name)}'
        f" ({_e(a.patient.mrn)})</span>"
        if show_patient
        else ""
    )
    chair = f", chair {_e(a.chair)}" if a.room.capacity > 1 else ""
    staff = "".join(
        f'<span class="cal-line">{_e(role)}: {_e(person.display_name)}</span>'
        for role, person in e.staff
    )
    url = _e(_appointment_url(context, a.public_id))
    return mark_safe(  # noqa: S308 - every value above is escaped with _e
        f'<div class="cal-entry {_e(e.status_class)}">\n'
        f'  <a href="{url}" class="cal-entry-title"><strong class="nowrap">'
        f"{e.starts:%H:%M}–{e.ends:%H:%M}</strong> {_e(e.session_name)}</a>\n"
        f'  <span class="cal-line">{_e(a.get_kind_display())} · <span class="cal-status">'
        f"{_e(a.get_status_display())}</span>{_OVERRIDE if e.is_override else ''}</span>"
        f"\n  {patient}\n"
        f'  <span class="cal-line">{_e(a.room.name)}{chair}</span>\n'
        f"  {staff}\n"
        "</div>\n"
    )
