"""A clinic's hours, rooms and staff read into slot facts (kapclinic.scheduling.availability):
working hours less leave, on-site hours, and a constant number of queries (issue 13.5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kapclinic.accounts.models import Clinic, OpeningHours, Role
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.patients.models import Patient
from kapclinic.scheduling.availability import MAX_DAYS, clinic_facts, held
from kapclinic.scheduling.holds import take_holds
from kapclinic.scheduling.models import StaffLeave, WorkingHours
from kapclinic.scheduling.slots import Span
from kapclinic.scheduling.tests.test_holds import NINE, _appointment, _course, _room

pytestmark = pytest.mark.django_db

MONDAY = date(2027, 3, 1)


@pytest.fixture
def clinic(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


def _week(clinic: Clinic) -> None:
    prescriber = staff_of(clinic, Role.PRESCRIBER)
    # The demo's rota (kapclinic.demo.courses) gives the prescriber hours and leave of their
    # own: this week's are the ones the tests read.
    WorkingHours.objects.filter(user=prescriber).delete()
    StaffLeave.objects.filter(user=prescriber).delete()
    for weekday in range(5):
        WorkingHours.objects.create(
            clinic=clinic, user=prescriber, weekday=weekday, starts_at=time(9), ends_at=time(13)
        )
        WorkingHours.objects.create(
            clinic=clinic,
            user=prescriber,
            weekday=weekday,
            starts_at=time(14),
            ends_at=time(17),
            on_site=weekday != 4,  # Friday afternoons by telehealth
        )
    StaffLeave.objects.create(
        user=prescriber, first_day=MONDAY + timedelta(days=2), last_day=MONDAY + timedelta(days=2)
    )


def test_working_hours_less_leave_and_on_site_cover(clinic: Clinic) -> None:
    _week(clinic)
    prescriber = staff_of(clinic, Role.PRESCRIBER)
    facts = clinic_facts(clinic, MONDAY, MONDAY + timedelta(days=6))
    person = facts.staff[prescriber.pk]
    assert "prescriber" in person.roles
    local_days = {span.starts_at.date() for span in person.working}
    assert MONDAY + timedelta(days=2) not in local_days  # on leave on Wednesday
    assert len(person.working) == 2 * 4
    friday = MONDAY + timedelta(days=4)
    friday_on_site = [s for s in person.on_site if s.starts_at.date() == friday]
    assert [(s.starts_at.time(), s.ends_at.time()) for s in friday_on_site] == [(time(9), time(13))]
    assert all(span.starts_at.tzinfo == clinic.tzinfo for span in facts.opening)
    weekdays_open = {hours.weekday for hours in OpeningHours.objects.filter(clinic=clinic)}
    assert {span.starts_at.weekday() for span in facts.opening} == weekdays_open
    assert facts.rooms
    assert all(room.capacity >= 1 for room in facts.rooms.values())


def test_the_period_must_be_sensible(clinic: Clinic) -> None:
    with pytest.raises(ValueError, match="period"):
        clinic_facts(clinic, MONDAY, MONDAY - timedelta(days=1))
    with pytest.raises(ValueError, match="period"):
        clinic_facts(clinic, MONDAY, MONDAY + timedelta(days=MAX_DAYS))


def test_reading_the_facts_takes_the_same_queries_for_a_week_and_a_quarter(clinic: Clinic) -> None:
    _week(clinic)
    counts = []
    for days in (6, 90):
        with CaptureQueriesContext(connection) as queries:
            clinic_facts(clinic, MONDAY, MONDAY + timedelta(days=days))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6


def test_held_returns_the_overlapping_holds_by_key(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    room = _room(clinic)
    appointment = _appointment(_course(clinic, new_patient(clinic)), room)
    with transaction.atomic():
        take_holds(appointment, patients_per_nurse=None)
    found = held(
        [f"room:{room.pk}:"], Span(NINE + timedelta(minutes=30), NINE + timedelta(hours=5))
    )
    assert found == {f"room:{room.pk}:1": (Span(appointment.starts_at, appointment.ends_at),)}
    later = Span(appointment.ends_at, appointment.ends_at + timedelta(hours=1))
    assert held([f"room:{room.pk}:"], later) == {}
