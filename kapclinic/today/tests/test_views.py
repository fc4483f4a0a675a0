from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, OpeningHours, Role, Room, StaffMembership, User

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get(reverse("today:today"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_today_lists_the_rooms_and_staff_of_the_current_clinic_only(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    home, other = clinics[0], clinics[1]
    response = client_for(Role.NURSE).get(reverse("today:today"))
    assert response.status_code == 200
    day = response.context["clinic_day"]
    assert day.clinic == home
    assert {r.pk for r in day.rooms} == set(home.rooms.values_list("pk", flat=True))
    assert {s.user.pk for s in day.staff} == set(
        StaffMembership.objects.filter(clinic=home).values_list("user_id", flat=True)
    )
    page = response.content.decode()
    assert "Treatment 1" in page
    other_only = User.objects.filter(memberships__clinic=other).exclude(memberships__clinic=home)
    assert other_only.exists()
    for user in other_only:
        assert user.full_name not in page


def test_today_shows_the_clinic_day_in_the_clinic_time_zone(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    response = client_for(Role.THERAPIST).get(reverse("today:today"))
    assert response.context["clinic_day"].day == clinics[0].local_today()
    assert clinics[0].time_zone in response.content.decode()


@pytest.mark.parametrize(
    ("day", "says"),
    [
        (date(2026, 11, 25), "Wednesday 25 November 2026 · open 08:00–18:00"),
        # The demo clinic opens on Saturday mornings, not on Sundays (seed 11).
        (date(2026, 11, 28), "Saturday 28 November 2026 · open 09:00–13:00"),
        (
            date(2026, 11, 29),
            "Sunday 29 November 2026 · closed today; next open Monday 30 November, 08:00–18:00",
        ),
    ],
)
def test_today_says_when_the_clinic_opens_next_on_a_day_it_is_closed(
    client_for: Callable[[Role], Client], clinics: list[Clinic], day: date, says: str
) -> None:
    home = clinics[0]
    assert OpeningHours.objects.filter(clinic=home, weekday=5).exists()
    with time_machine.travel(datetime.combine(day, time(9), tzinfo=home.tzinfo), tick=False):
        page = client_for(Role.NURSE).get(reverse("today:today")).content.decode()
    assert says in " ".join(page.split())


def test_today_query_count_does_not_grow_with_rooms_and_staff(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("today:today")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    home = clinics[0]
    for number in range(10):
        Room.objects.create(clinic=home, name=f"Extra {number}", has_recliner=True)
        user = User.objects.create_user(
            f"extra{number}@staff.example.org", "x" * 20, full_name=f"Extra Nurse {number}"
        )
        StaffMembership.objects.create(user=user, clinic=home, role=Role.NURSE)
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert len(response.context["clinic_day"].rooms) >= 10
    assert len(after.captured_queries) == len(before.captured_queries)


def test_switching_clinic_changes_what_today_shows(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.PRESCRIBER)
    response = client.post(reverse("accounts:switch-clinic"), {"clinic": str(clinics[1].public_id)})
    assert response.status_code == 302
    assert client.get(reverse("today:today")).context["clinic_day"].clinic == clinics[1]


def test_switching_clinic_returns_to_a_local_page_only(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.PRESCRIBER)
    url = reverse("accounts:switch-clinic")
    wanted = reverse("patients:list")
    for clinic in clinics[:2]:
        data = {"clinic": str(clinic.public_id)}
        assert client.post(url, {**data, "next": wanted})["Location"] == wanted
        # Once a 500 for "foo" (redirect() reversed it as a URL name): now the home page.
        for bad in ("foo", "null", "https://evil.example/", "/no/such/page/"):
            assert client.post(url, {**data, "next": bad})["Location"] == reverse("today:home")


def test_switching_to_a_clinic_the_user_does_not_work_in_is_refused(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.NURSE)  # the demo nurse works only in the first clinic
    response = client.post(
        reverse("accounts:switch-clinic"), {"clinic": str(clinics[1].public_id)}, follow=True
    )
    assert "You do not work in that clinic." in response.content.decode()
    assert response.context["clinic_day"].clinic == clinics[0]


def test_switch_clinic_rejects_garbage_without_error(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    response = client_for(Role.NURSE).post(
        reverse("accounts:switch-clinic"), {"clinic": "not-a-uuid"}, follow=True
    )
    assert response.status_code == 200
    assert "You do not work in that clinic." in response.content.decode()


def test_a_user_without_clinic_sees_an_explanation_not_an_error(
    client: Client, demo: object
) -> None:
    user = User.objects.create_user("lonely@staff.example.org", "x" * 20, full_name="Lonely")
    client.force_login(user)
    response = client.get(reverse("today:today"))
    assert response.status_code == 403
    assert "not a member of any active clinic" in response.content.decode()


@pytest.mark.parametrize(
    "name",
    ["today:outcomes", "measurement:worklist", "patients:list"],
)
def test_every_navigation_area_answers(client_for: Callable[[Role], Client], name: str) -> None:
    response = client_for(Role.CLINIC_ADMIN).get(reverse(name))
    assert response.status_code == 200
    assert 'aria-current="page"' in response.content.decode()


def test_a_user_without_clinic_can_still_sign_out(client: Client, demo: object) -> None:
    user = User.objects.create_user("roleless@staff.example.org", "x" * 20, full_name="Roleless")
    client.force_login(user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("today:today")).status_code == 302  # back to the login page


def test_the_questionnaire_worklist_is_in_the_navigation_of_those_who_work_it(
    client_for: Callable[[Role], Client],
) -> None:
    # Issue 11.4: the worklist was reachable only from Today.
    link = f'<a href="{reverse("measurement:worklist")}"'
    for role in (Role.NURSE, Role.PRESCRIBER, Role.THERAPIST, Role.CLINIC_ADMIN):
        assert link in client_for(role).get(reverse("today:today")).content.decode(), role
    for role in (Role.FRONT_DESK, Role.RESEARCHER):
        assert link not in client_for(role).get(reverse("today:today")).content.decode(), role
