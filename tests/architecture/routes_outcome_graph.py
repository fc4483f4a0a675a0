"""One real request per outcome graph route, for the route-by-role tests."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import Capability
from kapclinic.demo.generator import DEMO_LOGINS
from kapclinic.measurement.models import Assessment
from kapclinic.measurement.tests.trajectories import record_rapid_responder
from tests.architecture.routing import Call, World


def _with_scores(world: World) -> None:
    """Give the world's patient a short course of scores (once per test), so every role that
    may open the chart gets it drawn, not the empty page."""
    if Assessment.objects.filter(patient=world.patient).exists():
        return
    nurse = User.objects.get(email=DEMO_LOGINS[Role.NURSE][0])
    start = datetime(2026, 9, 1, 10, 0, tzinfo=world.home.tzinfo)
    record_rapid_responder(nurse=nurse, patient=world.patient, start=start)


def outcome_graph_routes(world: World) -> dict[str, Call]:
    _with_scores(world)
    return {
        "measurement:outcome-graph": Call(
            "GET",
            reverse("measurement:outcome-graph", args=[world.patient.public_id]),
            Capability.VIEW_OUTCOMES,
        ),
    }
