"""What every staff page reads besides its own work, measured on the signed-in floor
("This session", which reads nothing else; bench/scenarios.py): the session, the user with
their memberships, and the base layout's notices, safety banner and to-do badge."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, StaffNotice, User
from kapclinic.accounts.services import notify_clinic_admins
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import SafetyTask

pytestmark = pytest.mark.django_db


def _floor_queries(client: Client) -> tuple[list[str], Clinic]:
    url = reverse("accounts:this-session")
    client.get(url)
    audited = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert AuditEvent.objects.count() == audited
    sql = [q["sql"] for q in queries.captured_queries]
    assert all(q.lstrip().upper().startswith("SELECT") for q in sql), sql
    return sql, response.wsgi_request.clinic  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN, Role.RESEARCHER])
def test_it_reads_only_what_every_page_reads_and_writes_nothing(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User], role: Role
) -> None:
    """The signed-in floor: the session, the user with their memberships (one query), then
    one query for the base layout's notices, safety banner and to-do badge together; the
    notices and the banner's tasks are read only when there are some (one query each)."""
    sql, clinic = _floor_queries(client_for(role))
    notices = StaffNotice.objects.filter(
        recipient=demo_user(role), clinic=clinic, read_at=None
    ).exists()
    banner = (
        role != Role.RESEARCHER
        and SafetyTask.objects.filter(clinic=clinic, status=SafetyTask.Status.OPEN).exists()
    )
    assert len(sql) == 3 + notices + banner, sql


def test_a_notice_costs_one_more_query_and_is_shown(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    before, clinic = _floor_queries(client)
    notify_clinic_admins(clinic=clinic, subject="A room needs a monitor", body="Room 2")
    after, _ = _floor_queries(client)
    assert len(after) == len(before) + 1
    page = client.get(reverse("accounts:this-session")).content.decode()
    assert "A room needs a monitor" in page
