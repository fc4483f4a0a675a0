"""The clinic-boundary probe over every route (issue 10): for each route that names an object by
its public id, the same request naming the *other* clinic's object of the same kind answers
404 for every staff role that may use the route, exactly like a missing object.

The route list is the route-by-role test's (one real request per route), so a new route with an
object id is probed as soon as it is listed there. The Django admin site is probed separately
(test_admin_site.py): no clinic role opens any page of it.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.accounts.permissions import allows
from kapclinic.demo.generator import GenerationResult
from kapclinic.patients.models import Patient
from tests.architecture.routing import Call, World
from tests.architecture.test_permission_matrix import _routes, _send

UUID_IN_URL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAFF_ROLES = [role for role in Role if role != Role.RESEARCHER]


@pytest.fixture
def world(demo: GenerationResult, clinics: list[Clinic]) -> World:
    home = clinics[0]
    return World(home=home, patient=Patient.objects.filter(clinic=home).order_by("id")[0])


def _single_clinic_user(home: Clinic, role: Role) -> User:
    """A generated member of the home clinic only (the demo admin and prescriber work in both
    clinics, where the other clinic's objects are theirs to open)."""
    membership = (
        StaffMembership.objects.filter(clinic=home, role=role, is_active=True)
        .exclude(user__memberships__clinic__in=Clinic.objects.exclude(pk=home.pk))
        .order_by("pk")
        .first()
    )
    assert membership is not None, role
    return membership.user


def test_no_route_opens_another_clinics_object_for_any_role(
    world: World, clinics: list[Clinic]
) -> None:
    home, other = clinics
    # The same requests built in the other clinic (its patient, tasks, consent, rooms, staff):
    # where a route's URL names objects, the other clinic's URL names their twins.
    theirs = _routes(
        World(home=other, patient=Patient.objects.filter(clinic=other).order_by("id")[0])
    )
    probes: list[tuple[str, Call]] = []
    for name, call in _routes(world).items():
        if name.startswith("portal:") or not UUID_IN_URL.search(call.url):
            continue  # the portal is the patient's own record (tests in kapclinic/portal)
        twin = theirs[name]
        if twin.url != call.url:
            probes.append((name, twin))
    # The probe must reach every route that names an object; fewer means lost coverage.
    assert len(probes) >= 40, [name for name, _ in probes]
    leaks = []
    for role in STAFF_ROLES:
        client = Client()
        client.force_login(_single_clinic_user(home, role))
        for name, call in probes:
            if not allows({role}, call.capability):
                continue
            response = _send(client, call)
            if response.status_code != 404:
                leaks.append(f"{role} {call.method} {name} {call.url}: {response.status_code}")
    assert leaks == []
