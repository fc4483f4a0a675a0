"""One real request per measurement-plan route, for the route-by-role tests."""

from __future__ import annotations

from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import Capability
from kapclinic.demo.generator import DEMO_LOGINS
from kapclinic.measurement.models import Assignment
from kapclinic.measurement.plans.selectors import get_open_enrolment
from kapclinic.measurement.plans.services import enrol, ensure_default_plan
from tests.architecture.routing import Call, World


def open_assignment(world: World) -> Assignment:
    """An open baseline assignment of the world's patient (enrolled once per test)."""
    if get_open_enrolment(world.patient.pk) is None:
        nurse = User.objects.get(email=DEMO_LOGINS[Role.NURSE][0])
        enrol(
            actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
            patient=world.patient,
            plan=ensure_default_plan(clinic=world.home),
            starts_on=world.home.local_today(),
        )
    found = (
        Assignment.objects.filter(patient=world.patient, status=Assignment.Status.OPEN)
        .order_by("id")
        .first()
    )
    assert found is not None
    return found


def plan_routes(world: World) -> dict[str, Call]:
    assignment = open_assignment(world).public_id
    return {
        "measurement:worklist": Call(
            "GET", reverse("measurement:worklist"), Capability.VIEW_OUTCOMES
        ),
        # Already enrolled: the page shows the enrolment instead of the form.
        "measurement:plan-enrol": Call(
            "GET",
            reverse("measurement:plan-enrol", args=[world.patient.public_id]),
            Capability.ADMINISTER_QUESTIONNAIRES,
        ),
        # Sent, or refused for want of an e-mail address: back to the worklist either way.
        "measurement:assignment-send-link": Call(
            "POST",
            reverse("measurement:assignment-send-link", args=[assignment]),
            Capability.ADMINISTER_QUESTIONNAIRES,
            ok=frozenset({302}),
        ),
        # On to the staff administration page of the (same) response.
        "measurement:assignment-start": Call(
            "POST",
            reverse("measurement:assignment-start", args=[assignment]),
            Capability.ADMINISTER_QUESTIONNAIRES,
            ok=frozenset({302}),
        ),
        "measurement:assignment-cancel": Call(
            "GET",
            reverse("measurement:assignment-cancel", args=[assignment]),
            Capability.ADMINISTER_QUESTIONNAIRES,
        ),
    }
