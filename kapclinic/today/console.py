"""The monitoring nurse's Today list (issue 15.6): the occupied chairs, with the next check
due or overdue (R-IV-4, R-REMS-3, from ``dosing.rules.cadence``) and the open alerts (R-ALR-*).
One query (``todo.list_todo``); the cadence of each protocol version is cached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.accounts.permissions import Capability
from kapclinic.dosing.console import selectors
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.cadence import Status
from kapclinic.today.items import ListSpec, TodoItem, clinic_only


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _chair(now: datetime) -> Callable[[DosingSession], TodoItem]:
    def item(session: DosingSession) -> TodoItem:
        check = selectors.check_of(session, now)
        alerts: int = session.open_alerts or 0  # type: ignore[attr-defined]
        parts: list[str] = []
        if alerts:
            parts.append(f"{alerts} open alert{'s' if alerts != 1 else ''} to acknowledge")
        tz = session.clinic.tzinfo
        if check is not None:
            at = check.due_at.astimezone(tz)
            if check.status == Status.OVERDUE:
                parts.append(f"overdue: {check.what}, due at {at:%H:%M}")
            elif check.status == Status.DUE:
                parts.append(f"due now: {check.what}")
            else:
                parts.append(f"next: {check.what} at {at:%H:%M}")
        patient = session.patient
        return TodoItem(
            label=f"{patient.given_name} {patient.family_name}, {session.appointment.room.name}",
            detail=_sentence("; ".join(parts) or "No check due")
            + (f" ({check.rule_id})" if check is not None else ""),
            url=reverse("dosing:vitals", args=[session.public_id]),
            urgent=bool(alerts) or (check is not None and check.status != Status.NOT_DUE),
        )

    return item


CONSOLE_SPECS: Final[tuple[ListSpec, ...]] = (
    ListSpec(
        "chairs",
        "Chairs to watch: checks due and open alerts",
        "No patient is in a chair.",
        frozenset({Role.NURSE, Role.PRESCRIBER}),
        Capability.MONITOR_SESSIONS,
        clinic_only(selectors.sessions_to_watch),
        _chair,
        "dosing:console",
    ),
)
