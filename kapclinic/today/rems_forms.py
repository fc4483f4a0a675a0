"""The REMS Patient Monitoring Forms due, on the prescriber's and the clinic admin's Today
(R-REMS-5; issue 15.8): one query, the oldest (most overdue) first; the rows come from
``kapclinic.dosing.notes.selectors``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.accounts.permissions import Capability
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.notes.selectors import rems_form_row, rems_forms_due
from kapclinic.today.items import ListSpec, TodoItem, clinic_only


def _form(now: datetime) -> Callable[[DosingSession], TodoItem]:
    def item(session: DosingSession) -> TodoItem:
        row = rems_form_row(session, now.astimezone(session.clinic.tzinfo).date())
        p = session.patient
        if row.overdue:
            when = f"overdue since {row.due_on:%a %d %b}"
        elif row.due_today:
            when = "due today"
        else:
            when = f"due by {row.due_on:%a %d %b}"
        return TodoItem(
            label=f"{p.family_name}, {p.given_name} ({p.mrn})",
            detail=f"REMS Patient Monitoring Form of the session of {row.session_day:%a %d %b}: "
            f"{when}",
            url=reverse("dosing:rems_form", args=[session.public_id]),
            urgent=row.overdue or row.due_today,
        )

    return item


REMS_SPECS: Final[tuple[ListSpec, ...]] = (
    ListSpec(
        "rems_forms",
        "REMS Patient Monitoring Forms due",
        "Every esketamine session's Patient Monitoring Form is marked submitted.",
        frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN}),
        Capability.TRACK_REMS_FORMS,
        clinic_only(rems_forms_due),
        _form,
        "dosing:rems_forms",
    ),
)
