"""Courses and appointments in the JSON API (issue 13.9): the current clinic's, through the
access checks of the patient endpoints (one 404 for missing and forbidden), audited, paginated
in a constant number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kapclinic.accounts.models import Role
from kapclinic.audit.models import AuditEvent
from kapclinic.scheduling.models import Appointment, Course
from kapclinic.scheduling.selectors import COURSE_PAGE_SIZE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def _home(client: Client) -> Any:
    me = client.get("/api/v1/me").json()
    return me["clinic"]["id"]


def test_the_course_list_holds_the_current_clinics_courses_newest_first(
    client_for: Callable[[Role], Client],
) -> None:
    client = client_for(Role.FRONT_DESK)
    response = client.get("/api/v1/courses")

    assert response.status_code == 200
    body = response.json()
    home = Course.objects.filter(clinic__public_id=_home(client))
    assert body["count"] == home.count() > 0
    assert body["page"] == 1
    assert len(body["items"]) == min(COURSE_PAGE_SIZE, home.count())
    ids = [uuid.UUID(item["id"]) for item in body["items"]]
    assert set(ids) <= set(home.values_list("public_id", flat=True))
    first = home.order_by("-created_at", "-id")[0]
    assert ids[0] == first.public_id
    item = body["items"][0]
    assert item["patient"]["mrn"] == first.patient.mrn
    assert item["protocol"]["code"] == first.protocol.code
    assert item["status"] == first.status
    # The listing is audited, naming the courses it showed.
    entry = AuditEvent.objects.filter(action="scheduling.courses_listed_by_api").latest("id")
    assert entry.detail["courses"] == [str(i) for i in ids]


def test_the_course_list_filters_by_status_and_refuses_an_unknown_one(
    client_for: Callable[[Role], Client],
) -> None:
    client = client_for(Role.NURSE)
    body = client.get("/api/v1/courses", {"status": "completed"}).json()
    assert body["items"]
    assert {item["status"] for item in body["items"]} == {"completed"}

    refused = client.get("/api/v1/courses", {"status": "finished"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "status"


def test_a_course_reads_with_its_appointments_in_time_order(
    client_for: Callable[[Role], Client],
) -> None:
    client = client_for(Role.THERAPIST)
    course = (
        Course.objects.filter(clinic__public_id=_home(client), status=Course.Status.STOPPED)
        .order_by("id")
        .first()
    )
    assert course is not None

    response = client.get(f"/api/v1/courses/{course.public_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "stopped"
    assert body["status_reason"] == course.status_reason
    stored = list(course.appointments.order_by("starts_at", "id"))
    assert [a["id"] for a in body["appointments"]] == [str(a.public_id) for a in stored]
    assert {a["course"] for a in body["appointments"]} == {str(course.public_id)}
    assert AuditEvent.objects.filter(
        action="scheduling.course_read_by_api", patient_public_id=course.patient.public_id
    ).exists()


def test_an_appointment_reads_with_its_room_staff_and_status(
    client_for: Callable[[Role], Client],
) -> None:
    client = client_for(Role.NURSE)
    appointment = (
        Appointment.objects.filter(
            clinic__public_id=_home(client), status=Appointment.Status.CANCELLED
        )
        .select_related("room", "course")
        .order_by("id")
        .first()
    )
    assert appointment is not None

    body = client.get(f"/api/v1/appointments/{appointment.public_id}").json()

    assert body["status"] == "cancelled"
    assert body["cancel_reason"] == appointment.cancel_reason
    assert body["room"]["name"] == appointment.room.name
    assert body["course"] == str(appointment.course.public_id)
    assert body["kind"] == appointment.kind


def test_the_appointment_list_is_in_time_order_within_the_asked_times(
    client_for: Callable[[Role], Client],
) -> None:
    client = client_for(Role.FRONT_DESK)
    home = Appointment.objects.filter(clinic__public_id=_home(client)).order_by("starts_at")
    middle = home[home.count() // 2].starts_at
    response = client.get(
        "/api/v1/appointments", {"starts_from": middle.isoformat(), "status": "booked"}
    )

    assert response.status_code == 200
    body = response.json()
    wanted = home.filter(starts_at__gte=middle, status=Appointment.Status.BOOKED)
    assert body["count"] == wanted.count()
    starts = [item["starts_at"] for item in body["items"]]
    assert starts == sorted(starts)
    assert [item["id"] for item in body["items"]] == [
        str(i) for i in wanted.order_by("starts_at", "id").values_list("public_id", flat=True)[:50]
    ]


@pytest.mark.parametrize("kind", ["courses", "appointments"])
def test_another_clinics_record_and_a_missing_one_answer_the_same_404(
    client_for: Callable[[Role], Client], kind: str
) -> None:
    client = client_for(Role.THERAPIST)  # works in the first clinic only
    model = Course if kind == "courses" else Appointment
    other = model.objects.exclude(clinic__public_id=_home(client)).order_by("id").first()
    assert other is not None
    before = AuditEvent.objects.count()

    foreign = client.get(f"/api/v1/{kind}/{other.public_id}")
    missing = client.get(f"/api/v1/{kind}/{uuid.uuid4()}")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert AuditEvent.objects.count() == before  # nothing was read


def test_a_role_without_the_schedule_may_not_list_courses(
    client_for: Callable[[Role], Client],
) -> None:
    response = client_for(Role.RESEARCHER).get("/api/v1/courses")
    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.parametrize("path", ["/api/v1/courses", "/api/v1/appointments"])
def test_the_lists_query_count_is_constant(
    client_for: Callable[[Role], Client],
    add_demo_patients: Callable[[int], None],
    path: str,
) -> None:
    client = client_for(Role.NURSE)
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    before = Course.objects.count()
    add_demo_patients(120)
    assert Course.objects.count() > before  # the larger clinic has more courses
    with CaptureQueriesContext(connection) as large:
        assert client.get(path).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_courses_read_runs_a_constant_number_of_queries(
    client_for: Callable[[Role], Client],
) -> None:
    client = client_for(Role.PRESCRIBER)
    home = Course.objects.filter(clinic__public_id=_home(client))
    short = min(home, key=lambda c: c.appointments.count())
    long = max(home, key=lambda c: c.appointments.count())
    assert short.appointments.count() < long.appointments.count()
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/v1/courses/{short.public_id}")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/api/v1/courses/{long.public_id}")
    assert len(many.captured_queries) == len(few.captured_queries)
