"""The Actor: built once per request from what ClinicMiddleware loads, never queried again."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from kapclinic.accounts.actor import PATIENT_BY_LINK, SYSTEM, Actor
from kapclinic.accounts.middleware import ClinicMiddleware
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.permissions import PATIENT, Capability
from kapclinic.accounts.types import ClinicRequest


def _through_middleware(user: User, view: Callable[[ClinicRequest], None]) -> int:
    """Run ``view`` behind ClinicMiddleware for ``user``; the number of queries it all took."""
    request = RequestFactory().get("/")
    request.user = user
    request.session = {}  # type: ignore[assignment]

    def get_response(request: HttpRequest) -> HttpResponse:
        view(request)  # type: ignore[arg-type]
        return HttpResponse()

    with CaptureQueriesContext(connection) as queries:
        ClinicMiddleware(get_response)(request)
    return len(queries.captured_queries)


def test_asking_for_the_actor_again_and_again_costs_no_query(
    demo: object, demo_user: Callable[[Role], User], clinics: list[Clinic]
) -> None:
    prescriber = demo_user(Role.PRESCRIBER)
    seen: list[Actor] = []

    def once(request: ClinicRequest) -> None:
        seen.append(request.actor)

    def many_times(request: ClinicRequest) -> None:
        for _ in range(5):
            actor = request.actor
            seen.append(actor)
            assert actor.can(Capability.VIEW_CHART)
            assert actor.in_clinic(actor.current_clinic).roles == actor.roles
            assert actor.in_clinic(clinics[1]).clinic == clinics[1]

    asked_once = _through_middleware(prescriber, once)
    assert asked_once == 1  # the memberships, with their clinics
    assert _through_middleware(prescriber, many_times) == asked_once
    assert len({id(actor) for actor in seen[1:]}) == 1  # one value for the whole request
    actor = seen[0]
    assert actor.user == prescriber
    assert Role.PRESCRIBER in actor.roles
    assert all(isinstance(role, Role) for role in actor.roles)
    assert actor == Actor.for_user(prescriber, actor.clinic)


def test_a_portal_user_acts_as_patient_in_no_clinic(demo: object) -> None:
    user = User.objects.filter(kind=User.Kind.PATIENT, is_active=True).order_by("id")[0]
    seen: list[Actor] = []
    assert _through_middleware(user, lambda request: seen.append(request.actor)) == 0
    assert seen == [Actor(user=user, roles=frozenset({PATIENT}), clinic=None)]
    assert Actor.for_user(user) == seen[0]
    assert seen[0].can(Capability.VIEW_OWN_RECORD)
    assert not seen[0].can(Capability.VIEW_CHART)


def test_no_person_acts_for_jobs_and_one_time_links() -> None:
    assert SYSTEM.user is None
    assert SYSTEM.roles == frozenset()
    assert PATIENT_BY_LINK.user is None
    assert PATIENT_BY_LINK.roles == frozenset({PATIENT})


def test_the_roles_in_another_clinic_are_those_held_there(
    demo: object, clinics: list[Clinic]
) -> None:
    user = (
        User.objects.filter(memberships__clinic=clinics[0], memberships__is_active=True)
        .exclude(memberships__clinic=clinics[1])
        .first()
    )
    assert user is not None
    actor = Actor.for_user(user, clinics[0])
    assert actor.roles
    elsewhere = actor.in_clinic(clinics[1])
    assert elsewhere.roles == frozenset()
    assert elsewhere.user == user
    assert not elsewhere.can(Capability.VIEW_TODAY)
