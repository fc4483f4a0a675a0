"""One real request per treatment-protocol route (Clinic → Protocols), for the route-by-role
tests."""

from __future__ import annotations

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.scheduling.models import Appointment, Course
from kapclinic.scheduling.selectors import current_protocol_version
from tests.architecture.routing import Call, World


def scheduling_routes(world: World) -> dict[str, Call]:
    version = current_protocol_version(world.home, "kap-im-sl")
    assert version is not None  # the demo clinic's shipped template
    course = Course.objects.filter(clinic=world.home).order_by("id").first()
    appointment = Appointment.objects.filter(clinic=world.home).order_by("id").first()
    assert course is not None
    assert appointment is not None
    return {
        "api GET /courses": Call("GET", "/api/v1/courses", Capability.VIEW_SCHEDULE),
        "api GET /courses/{public_id}": Call(
            "GET", f"/api/v1/courses/{course.public_id}", Capability.VIEW_SCHEDULE
        ),
        "api GET /appointments": Call("GET", "/api/v1/appointments", Capability.VIEW_SCHEDULE),
        "api GET /appointments/{public_id}": Call(
            "GET", f"/api/v1/appointments/{appointment.public_id}", Capability.VIEW_SCHEDULE
        ),
        "scheduling:protocols": Call(
            "GET", reverse("scheduling:protocols"), Capability.VIEW_PROTOCOLS
        ),
        "scheduling:protocol": Call(
            "GET",
            reverse("scheduling:protocol", args=[version.public_id]),
            Capability.VIEW_PROTOCOLS,
        ),
        "scheduling:publish": Call(
            "GET",
            reverse("scheduling:publish", args=[version.public_id]),
            Capability.MANAGE_PROTOCOLS,
        ),
        # Issue 13.3: the course planner, from a patient's chart. The demo's staff have no
        # working hours yet, so the proposal is a NoFit; booking without a signed plan is 422.
        "planner:plan": Call(
            "GET",
            reverse("planner:plan", args=[world.patient.public_id]),
            Capability.PLAN_COURSES,
        ),
        "planner:book": Call(
            "POST",
            reverse("planner:book", args=[world.patient.public_id]),
            Capability.PLAN_COURSES,
            data={"protocol": str(version.public_id), "plan": "not a signed plan"},
            ok=frozenset({422}),
        ),
        "scheduling:retire": Call(
            "GET",
            reverse("scheduling:retire", args=[version.public_id]),
            Capability.MANAGE_PROTOCOLS,
        ),
        "notify:my-feed": Call("GET", reverse("notify:my-feed"), Capability.VIEW_SCHEDULE),
        "notify:room-feeds": Call("GET", reverse("notify:room-feeds"), Capability.MANAGE_CLINIC),
        "notify:reminders": Call("GET", reverse("notify:reminders"), Capability.MANAGE_CLINIC),
    }
