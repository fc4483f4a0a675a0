"""Actions on one appointment (issue 13.4), through the booking services: move with the rule
checks shown live and an override that needs a reason, cancel with a reason (the freed slot is
offered to the waitlist), mark attended or not attended. A refused action writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, Room, User
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment, WaitlistEntry, WorkingHours
from kapclinic.scheduling.tests.calendar_booked import book_directly, course_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def therapist(demo_user: Callable[[Role], User], home: Clinic) -> User:
    """The demo therapist, working Monday and Tuesday 9 to 13 (and no other day)."""
    user = demo_user(Role.THERAPIST)
    WorkingHours.objects.filter(user=user).delete()
    for weekday in (0, 1):
        WorkingHours.objects.create(
            clinic=home, user=user, weekday=weekday, starts_at=time(9), ends_at=time(13)
        )
    return user


@pytest.fixture
def monday(home: Clinic) -> datetime:
    """Next week's Monday, 9:00 in the clinic's time zone."""
    today = home.local_today()
    day = today + timedelta(days=7 - today.weekday())
    return datetime.combine(day, time(9), tzinfo=home.tzinfo)


@pytest.fixture
def appointment(
    home: Clinic, new_patient: Callable[..., Patient], therapist: User, monday: datetime
) -> Appointment:
    room = Room.objects.create(clinic=home, name="Quiet room", kind=Room.Kind.THERAPY)
    return book_directly(
        new_patient(home, family_name="Mover"),
        room,
        monday,
        session_type="preparation",
        minutes=60,
        therapist=therapist,
    )


def _form(a: Appointment, starts: datetime, **changes: str) -> dict[str, str]:
    return {
        "day": f"{starts:%Y-%m-%d}",
        "starts": f"{starts:%H:%M}",
        "room": str(a.room.public_id),
        "therapist": str(a.therapist.public_id) if a.therapist else "",
        "nurse": "",
        **changes,
    }


def test_a_move_inside_the_rules_is_checked_live_then_made(
    client_for: Callable[[Role], Client], appointment: Appointment, monday: datetime
) -> None:
    client = client_for(Role.FRONT_DESK)
    tuesday = monday + timedelta(days=1, hours=1)
    check = client.post(
        reverse("calendar:check", args=[appointment.public_id]), _form(appointment, tuesday)
    )
    assert "breaks none of the rules" in check.content.decode()
    moved = client.post(
        reverse("calendar:move", args=[appointment.public_id]), _form(appointment, tuesday)
    )
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == tuesday
    assert appointment.override_reason == ""


def test_an_overridable_problem_needs_a_reason_and_is_kept_with_the_appointment(
    client_for: Callable[[Role], Client], appointment: Appointment, monday: datetime
) -> None:
    client = client_for(Role.THERAPIST)
    wednesday = monday + timedelta(days=2)  # the therapist does not work on Wednesdays
    check = client.post(
        reverse("calendar:check", args=[appointment.public_id]), _form(appointment, wednesday)
    )
    text = check.content.decode()
    assert "may be overridden with a reason" in text
    url = reverse("calendar:move", args=[appointment.public_id])
    refused = client.post(url, _form(appointment, wednesday))
    assert refused.status_code == 422
    assert "reason" in refused.content.decode().lower()
    appointment.refresh_from_db()
    assert appointment.starts_at == monday
    reason = "Therapist agreed to come in on Wednesday"
    done = client.post(url, _form(appointment, wednesday, override_reason=reason))
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == wednesday
    assert appointment.override_reason == reason


def test_a_move_the_rules_forbid_is_refused_whatever_the_reason(
    client_for: Callable[[Role], Client], appointment: Appointment, monday: datetime
) -> None:
    client = client_for(Role.FRONT_DESK)
    night = monday.replace(hour=21)  # the clinic is closed
    form = _form(appointment, night, override_reason="The patient can only come at night")
    check = client.post(reverse("calendar:check", args=[appointment.public_id]), form)
    assert "cannot be overridden" in check.content.decode()
    refused = client.post(reverse("calendar:move", args=[appointment.public_id]), form)
    assert refused.status_code == 422
    appointment.refresh_from_db()
    assert appointment.starts_at == monday


def test_cancelling_needs_a_reason_and_offers_the_slot_to_the_waitlist(
    client_for: Callable[[Role], Client],
    appointment: Appointment,
    new_patient: Callable[..., Patient],
    home: Clinic,
) -> None:
    waiting = WaitlistEntry.objects.create(
        clinic=home, patient=new_patient(home), earliest_day=home.local_today()
    )
    client = client_for(Role.FRONT_DESK)
    url = reverse("calendar:cancel", args=[appointment.public_id])
    refused = client.post(url, {"reason": "no"})
    assert refused.status_code == 422
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    done = client.post(url, {"reason": "Patient called: unwell this week"}, follow=True)
    assert "The appointment is cancelled." in done.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    waiting.refresh_from_db()
    if waiting.status == WaitlistEntry.Status.OFFERED:  # it fits the freed slot
        page = client.get(reverse("calendar:waitlist")).content.decode()
        assert "Book it" in page


def test_attendance_is_marked_from_the_session_s_day_only(
    client_for: Callable[[Role], Client], appointment: Appointment, home: Clinic
) -> None:
    client = client_for(Role.FRONT_DESK)
    early = client.post(reverse("calendar:attended", args=[appointment.public_id]), follow=True)
    assert early.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    past = home.local_today() - timedelta(days=1)
    earlier = datetime.combine(past, time(10), tzinfo=home.tzinfo)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=earlier, ends_at=earlier + timedelta(hours=1)
    )
    client.post(reverse("calendar:no-show", args=[appointment.public_id]))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW
    again = client.post(reverse("calendar:attended", args=[appointment.public_id]), follow=True)
    assert again.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW


def test_a_freed_slot_offered_on_the_waitlist_is_booked_with_book_it(
    client_for: Callable[[Role], Client],
    appointment: Appointment,
    new_patient: Callable[..., Patient],
    home: Clinic,
) -> None:
    waiting_patient = new_patient(home, family_name="Nextinline")
    course = course_of(home, waiting_patient)
    entry = WaitlistEntry.objects.create(
        clinic=home, patient=waiting_patient, course=course, earliest_day=home.local_today()
    )
    client = client_for(Role.FRONT_DESK)
    client.post(
        reverse("calendar:cancel", args=[appointment.public_id]),
        {"reason": "Patient called: unwell this week"},
    )
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert entry.offered_appointment == appointment
    booked = client.post(reverse("calendar:waitlist-book", args=[entry.public_id]))
    assert booked.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.BOOKED
    mine = Appointment.objects.get(patient=waiting_patient)
    assert (mine.starts_at, mine.room, mine.status) == (
        appointment.starts_at,
        appointment.room,
        Appointment.Status.BOOKED,
    )
    again = client.post(reverse("calendar:waitlist-book", args=[entry.public_id]), follow=True)
    assert "no slot on offer" in again.content.decode()
