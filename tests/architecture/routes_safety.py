"""One real request per safety-task route, for the route-by-role tests: a real urgent task
(a PHQ-9 with item 9 answered 1, completed through the services), and forms the service
refuses, so no role's request changes it."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import Capability
from kapclinic.measurement.models import Mode, SafetyTask
from kapclinic.measurement.responses.services import complete_assessment, start_assessment
from tests.architecture.routing import Call, World


def _task(world: World) -> SafetyTask:
    existing = SafetyTask.objects.filter(patient=world.patient).order_by("id").first()
    if existing is not None:
        return existing
    nurse = User.objects.filter(
        memberships__clinic=world.home, memberships__role=Role.NURSE
    ).first()
    assert nurse is not None
    assessment = start_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=world.patient,
        instrument_code="phq9",
        mode=Mode.STAFF,
    )
    answers = {f"phq9_{n}": 1 for n in range(1, 10)}
    complete_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        assessment=assessment,
        answers=answers,
        now=timezone.now(),
    )
    return SafetyTask.objects.get(patient=world.patient)


def safety_routes(world: World) -> dict[str, Call]:
    task = _task(world).public_id
    return {
        "measurement:safety-tasks": Call(
            "GET", reverse("measurement:safety-tasks"), Capability.VIEW_SAFETY_TASKS
        ),
        "measurement:safety-task": Call(
            "GET", reverse("measurement:safety-task", args=[task]), Capability.VIEW_SAFETY_TASKS
        ),
        # "Other" without a note: refused with the form shown again.
        "measurement:safety-acknowledge": Call(
            "POST",
            reverse("measurement:safety-acknowledge", args=[task]),
            Capability.ACKNOWLEDGE_SAFETY,
            data={"action": "other", "note": ""},
            ok=frozenset({422}),
        ),
        # The task is not acknowledged yet: the evaluation is refused.
        "measurement:safety-evaluate": Call(
            "POST",
            reverse("measurement:safety-evaluate", args=[task]),
            Capability.EVALUATE_SAFETY,
            data={
                "risk_level": "low",
                "method": "clinical_interview",
                "risk_factors": "Passive thoughts of death.",
                "protective_factors": "Partner at home.",
                "safety_plan": "reviewed",
                "disposition": "continue_outpatient",
                "note": "Seen, low risk, safety plan in place.",
            },
            ok=frozenset({422}),
        ),
    }
