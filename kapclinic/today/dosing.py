"""The dosing sessions' Today lists (issue 15): the nurse's and the prescriber's dosing work of
the day. Each list is one query (``todo.list_todo``); the rows come from
``kapclinic.dosing.selectors``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.accounts.permissions import Capability
from kapclinic.dosing import selectors
from kapclinic.dosing.models import DosingSession
from kapclinic.today.items import ListSpec, TodoItem, each


def _session(detail: str, *, urgent: bool = False) -> Callable[[DosingSession], TodoItem]:
    def item(s: DosingSession) -> TodoItem:
        starts = s.appointment.starts_at.astimezone(s.clinic.tzinfo)
        return TodoItem(
            label=f"{starts:%H:%M} {s.patient.full_name}",
            detail=f"{detail}, {s.appointment.room.name}",
            url=reverse("dosing:session", args=[s.public_id]),
            since=s.state_changed_at,
            urgent=urgent,
        )

    return item


_DOSING_STAFF: Final = frozenset({Role.PRESCRIBER, Role.NURSE})

DOSING_SPECS: Final[tuple[ListSpec, ...]] = (
    ListSpec(
        "dosing_checked_in",
        "Checked in for dosing",
        "Nobody is waiting for pre-dose checks.",
        _DOSING_STAFF,
        Capability.RUN_DOSING_SESSIONS,
        selectors.sessions_checked_in,
        each(_session("Checked in or held: pre-dose checks")),
        "dosing:today",
    ),
    ListSpec(
        "dosing_awaiting_dose",
        "Awaiting the dose",
        "No session is waiting for its dose.",
        _DOSING_STAFF,
        Capability.RUN_DOSING_SESSIONS,
        selectors.sessions_awaiting_dose,
        each(_session("Checks passed: order and record the dose (R-IV-1, R-ESK-5)")),
        "dosing:today",
    ),
    ListSpec(
        "dosing_ready_for_discharge",
        "Ready for discharge",
        "No patient is waiting to be discharged.",
        _DOSING_STAFF,
        Capability.RUN_DOSING_SESSIONS,
        selectors.sessions_ready_for_discharge,
        each(_session("Ready for discharge (R-DC-1)", urgent=True)),
        "dosing:today",
    ),
)
