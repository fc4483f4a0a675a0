"""Today (kapclinic.today) lists each role's share of the calendar: the front desk's
appointments to check in and the freed slots offered to waiting patients, a nurse's or
therapist's own sessions, a prescriber's dosing sessions (they must be on site for each)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment, WaitlistEntry
from kapclinic.scheduling.tests.calendar_booked import book_directly, treatment_room
from kapclinic.today.items import TodoList

pytestmark = pytest.mark.django_db


def _lists(client: Client) -> dict[str, TodoList]:
    response = client.get(reverse("today:today"))
    assert response.status_code == 200
    return {t.key: t for t in response.context["todo_lists"]}


@pytest.fixture
def noon(clinics: list[Clinic]) -> datetime:
    home = clinics[0]
    return datetime.combine(home.local_today(), time(12), tzinfo=home.tzinfo)


def test_each_role_sees_its_sessions_of_today(
    client_for: Callable[[Role], Client],
    demo_user: Callable[[Role], User],
    clinics: list[Clinic],
    new_patient: Callable[..., Patient],
    noon: datetime,
) -> None:
    home = clinics[0]
    room = treatment_room(home)
    nurse, therapist = demo_user(Role.NURSE), demo_user(Role.THERAPIST)
    dosing = book_directly(new_patient(home, family_name="Dosewell"), room, noon, nurse=nurse)
    talk = book_directly(
        new_patient(home, family_name="Talbot"),
        room,
        noon,
        session_type="integration",
        minutes=60,
        therapist=therapist,
    )
    book_directly(new_patient(home, family_name="Tomorrow"), room, noon + timedelta(days=1))
    Appointment.objects.filter(pk=talk.pk).update(status=Appointment.Status.ATTENDED)

    desk = _lists(client_for(Role.FRONT_DESK))["check_in"]
    assert [i.label.split(" ", 1)[1].split(",")[0] for i in desk.items] == ["Dosewell"]
    assert desk.items[0].url == reverse("calendar:appointment", args=[dosing.public_id])
    assert desk.items[0].label.startswith("12:00–14:00")

    mine = _lists(client_for(Role.NURSE))["my_sessions"]
    assert [i.url for i in mine.items] == [reverse("calendar:appointment", args=[dosing.public_id])]
    therapist_list = _lists(client_for(Role.THERAPIST))["my_sessions"]
    assert therapist_list.total == 1  # the attended session is still theirs today
    prescriber = _lists(client_for(Role.PRESCRIBER))["dosing_today"]
    assert prescriber.total == 1


def test_the_desk_sees_freed_slots_on_offer(
    client_for: Callable[[Role], Client],
    clinics: list[Clinic],
    new_patient: Callable[..., Patient],
    noon: datetime,
) -> None:
    home = clinics[0]
    freed = book_directly(new_patient(home), treatment_room(home), noon + timedelta(days=2))
    waiting = new_patient(home, family_name="Offerman")
    WaitlistEntry.objects.create(
        clinic=home,
        patient=waiting,
        earliest_day=home.local_today(),
        status=WaitlistEntry.Status.OFFERED,
        offered_appointment=freed,
    )
    offers = _lists(client_for(Role.FRONT_DESK))["waitlist_offers"]
    assert offers.total == 1
    assert offers.items[0].label.startswith("Offerman")
    assert "Offered a freed slot" in offers.items[0].detail
