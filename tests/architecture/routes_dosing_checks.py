"""One real request per route of the pre-dose checks page (issue 15.3), for the route-by-role
tests. No session of the clinic has this id: those allowed get 404, everyone else 403."""

from __future__ import annotations

from uuid import uuid4

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from tests.architecture.routing import Call, World

NOT_FOUND = frozenset({404})


def dosing_check_routes(world: World) -> dict[str, Call]:
    del world  # the routes answer 404 for a session that does not exist
    session = uuid4()
    return {
        "dosing:checks": Call(
            "GET",
            reverse("dosing:checks", args=[session]),
            Capability.VIEW_MONITORING,
            ok=NOT_FOUND,
        ),
        "dosing:checks-record": Call(
            "POST",
            reverse("dosing:checks-record", args=[session]),
            Capability.RECORD_MEASUREMENTS,
            data={"item": "identity", "answer": "yes"},
            ok=NOT_FOUND,
        ),
        "dosing:checks-override": Call(
            "POST",
            reverse("dosing:checks-override", args=[session]),
            Capability.CLEAR_SAFETY_HOLD,
            data={"item": "vitals", "reason": "A reason long enough."},
            ok=NOT_FOUND,
        ),
        "dosing:checks-passed": Call(
            "POST",
            reverse("dosing:checks-passed", args=[session]),
            Capability.RECORD_MEASUREMENTS,
            ok=NOT_FOUND,
        ),
    }
