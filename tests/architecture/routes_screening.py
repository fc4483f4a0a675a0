"""One real request per screening route, for the route-by-role tests."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, StaffMembership, User
from kapclinic.accounts.permissions import Capability
from kapclinic.demo.generator import DEMO_LOGINS
from kapclinic.screening.models import Screening
from kapclinic.screening.rules import Family
from kapclinic.screening.services import ScreeningInput, record_screening
from tests.architecture.routing import Call, World


def _screening(world: World) -> Screening:
    """An incomplete screening of the world's patient (created once per test)."""
    existing = Screening.objects.filter(patient=world.patient).order_by("id").first()
    if existing is not None:
        return existing
    nurse = (
        StaffMembership.objects.filter(clinic=world.home, role=Role.NURSE, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    assert nurse is not None
    return record_screening(
        actor=Actor(user=nurse.user, roles=frozenset({Role.NURSE})),
        patient=world.patient,
        answers=ScreeningInput(family=Family.RACEMIC_KETAMINE),
        now=timezone.now(),
    )


def _own_screening(world: World) -> Screening:
    """A screening the demo nurse recorded, so the recorder's own right applies to them (created
    once per test). The demo prescriber may mark any screening of the clinic."""
    nurse = User.objects.get(email=DEMO_LOGINS[Role.NURSE][0])
    existing = (
        Screening.objects.filter(patient=world.patient, recorded_by=nurse).order_by("id").first()
    )
    if existing is not None:
        return existing
    return record_screening(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=world.patient,
        answers=ScreeningInput(family=Family.RACEMIC_KETAMINE),
        now=timezone.now(),
    )


def screening_routes(world: World) -> dict[str, Call]:
    screening = _screening(world)
    own = _own_screening(world)
    patient = world.patient.public_id
    return {
        "screening:policy": Call(
            "GET", reverse("screening:policy"), Capability.VIEW_SCREENING_POLICY
        ),
        "screening:new": Call(
            "GET", reverse("screening:new", args=[patient]), Capability.SCREEN_PATIENT
        ),
        "screening:history": Call(
            "GET", reverse("screening:history", args=[patient]), Capability.SCREEN_PATIENT
        ),
        "screening:detail": Call(
            "GET",
            reverse("screening:detail", args=[screening.public_id]),
            Capability.SCREEN_PATIENT,
        ),
        # A reason too short and a rule that is no open flag: refused with messages, no write.
        "screening:override": Call(
            "POST",
            reverse("screening:override", args=[screening.public_id]),
            Capability.DECIDE_ELIGIBILITY,
            data={"rule_id": "R-SCR-2.nothing", "reason": "short"},
            ok=frozenset({422}),
        ),
        # The screening is incomplete, so signing is refused.
        "screening:sign": Call(
            "POST",
            reverse("screening:sign", args=[screening.public_id]),
            Capability.DECIDE_ELIGIBILITY,
            data={"confirm": "on"},
            ok=frozenset({422}),
        ),
        # Allowed to mark it (the nurse recorded it, the prescriber works in the clinic), but
        # the reason is too short: refused with a message next to the field, nothing written.
        "screening:entered-in-error": Call(
            "POST",
            reverse("screening:entered-in-error", args=[own.public_id]),
            Capability.SCREEN_PATIENT,
            data={"reason": "wrong"},
            ok=frozenset({422}),
        ),
    }
