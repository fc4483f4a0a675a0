"""The clinicians' "Sessions to prepare" list (issue 15.2; R-INT-3): their dosing sessions of
the coming week whose preparation note or room check is still missing. One query
(``todo.list_todo``); the rows come from ``kapclinic.dosing.preparation.selectors``."""

from __future__ import annotations

from typing import Final

from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.accounts.permissions import Capability
from kapclinic.dosing.preparation.selectors import sessions_to_prepare
from kapclinic.scheduling.models import Appointment
from kapclinic.today.items import ListSpec, TodoItem, each


def _to_prepare(a: Appointment) -> TodoItem:
    starts = a.starts_at.astimezone(a.clinic.tzinfo)
    missing = [
        what
        for what, there in (
            ("preparation note", a.has_note),  # type: ignore[attr-defined]
            ("room check", a.has_room_check),  # type: ignore[attr-defined]
        )
        if not there
    ]
    return TodoItem(
        label=f"{starts:%a %d %b %H:%M} {a.patient.family_name}, {a.patient.given_name} "
        f"({a.patient.mrn})",
        detail=f"Dosing, {a.room.name}: no {' and no '.join(missing)} yet",
        url=reverse("dosing:prepare-appointment", args=[a.public_id]),
    )


PREPARATION_SPECS: Final[tuple[ListSpec, ...]] = (
    ListSpec(
        "to_prepare",
        "Sessions to prepare",
        "Every dosing session of yours in the coming week is prepared.",
        frozenset({Role.THERAPIST, Role.NURSE}),
        Capability.PREPARE_SESSIONS,
        None,
        each(_to_prepare),
        own_rows=sessions_to_prepare,
    ),
)
