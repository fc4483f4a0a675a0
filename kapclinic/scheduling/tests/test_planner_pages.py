"""The course planner against the database and its page (issue 13.3): the facts and holds
read by ``availability`` give proposals that keep every rule, existing bookings are left
alone, a NoFit names the blocker with alternatives as buttons, and booking is refused in words
(nothing written) until the booking service is wired in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, Room
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.scheduling.availability import clinic_facts
from kapclinic.scheduling.holds import take_holds
from kapclinic.scheduling.models import Appointment, Course, WorkingHours
from kapclinic.scheduling.planner.batch import Waiting
from kapclinic.scheduling.planner.values import NoFit, PatientAvailability, Proposal
from kapclinic.scheduling.planner_forms import parse_blackout
from kapclinic.scheduling.planning import plan_waiting, plannable_protocols, propose_course
from kapclinic.scheduling.rules import ProposedSession, course_problems
from kapclinic.scheduling.selectors import current_protocol_version
from kapclinic.scheduling.slots import SlotRequest, slot_problems

pytestmark = pytest.mark.django_db

WEEKDAYS = frozenset(range(5))


@pytest.fixture
def clinic(clinics: list[Clinic]) -> Clinic:
    """The demo's first clinic, its prescriber, nurse and therapist working Monday to Friday,
    8-18, on site."""
    clinic = clinics[0]
    for role in (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST):
        user = staff_of(clinic, role)
        WorkingHours.objects.bulk_create(
            WorkingHours(clinic=clinic, user=user, weekday=day, starts_at=time(8), ends_at=time(18))
            for day in range(5)
        )
    return clinic


def _monday(clinic: Clinic) -> date:
    today = clinic.local_today()
    return today + timedelta(days=7 - today.weekday())


def _iv(clinic: Clinic) -> Proposal | NoFit:
    protocol = next(
        p for p in plannable_protocols(clinic) if p.version.code == "iv-ketamine-induction"
    )
    return propose_course(
        clinic,
        protocol.protocol,
        availability=PatientAvailability(WEEKDAYS, time(8), time(18)),
        earliest_start=_monday(clinic),
    )


def test_a_proposal_from_the_database_keeps_every_rule(clinic: Clinic) -> None:
    answer = _iv(clinic)
    assert isinstance(answer, Proposal), answer
    protocol = next(
        p.protocol for p in plannable_protocols(clinic) if p.version.code == "iv-ketamine-induction"
    )
    assert (
        course_problems(protocol, [ProposedSession(s.day, s.session_type) for s in answer.sessions])
        == []
    )
    facts = clinic_facts(clinic, answer.first_day, answer.last_day)
    for session in answer.sessions:
        session_type = protocol.session_type(session.session_type)
        assert session_type is not None
        request = SlotRequest(
            session_type, session.starts_at, session.room_id, session.therapist_id, session.nurse_id
        )
        assert slot_problems(request, facts) == ()
        assert session.nurse_id in (None, staff_of(clinic, Role.NURSE).pk)


def test_an_existing_booking_is_left_alone(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    first = _iv(clinic)
    assert isinstance(first, Proposal)
    # Book every treatment room at the first infusion's time: the planner moves elsewhere.
    infusion = first.sessions[0]
    version = current_protocol_version(clinic, "iv-ketamine-induction")
    assert version is not None
    for room in Room.objects.filter(clinic=clinic, kind=Room.Kind.TREATMENT, is_active=True):
        for _ in range(room.capacity):
            patient = new_patient(clinic)
            course = Course.objects.create(
                clinic=clinic, patient=patient, protocol=version, modality=version.modality
            )
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    clinic=clinic,
                    course=course,
                    patient=patient,
                    session_type="infusion",
                    kind="dosing",
                    starts_at=infusion.starts_at,
                    ends_at=infusion.ends_at,
                    room=room,
                )
                take_holds(appointment, patients_per_nurse=None)
    second = _iv(clinic)
    assert isinstance(second, Proposal)
    assert all(
        not (s.starts_at < infusion.ends_at and infusion.starts_at < s.ends_at)
        for s in second.sessions
        if s.session_type == "infusion"
    )


def test_a_batch_of_waiting_patients_is_planned_against_each_other(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    protocol = next(
        p.protocol for p in plannable_protocols(clinic) if p.version.code == "iv-ketamine-induction"
    )
    waiting = [
        Waiting(
            new_patient(clinic).pk,
            protocol,
            PatientAvailability(WEEKDAYS, time(8), time(18)),
            _monday(clinic),
        )
        for _ in range(3)
    ]
    answers = plan_waiting(clinic, waiting)
    proposals = [a for a in answers if isinstance(a, Proposal)]
    assert len(proposals) == 3
    nurse = staff_of(clinic, Role.NURSE).pk
    sessions = [s for p in proposals for s in p.sessions if s.nurse_id == nurse]
    for one in sessions:
        overlapping = [
            o for o in sessions if o.starts_at < one.ends_at and one.starts_at < o.ends_at
        ]
        assert len(overlapping) <= 2  # the 1:2 ratio
    assert plan_waiting(clinic, []) == []


def test_blackout_text_reads_dates_and_ranges() -> None:
    assert parse_blackout("2027-01-04, 2027-01-06 to 2027-01-07\n") == {
        date(2027, 1, 4),
        date(2027, 1, 6),
        date(2027, 1, 7),
    }
    with pytest.raises(ValueError, match="is not a date"):
        parse_blackout("next tuesday")
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_blackout("2027-01-07 to 2027-01-06")
    with pytest.raises(ValueError, match="At most 200 days"):
        parse_blackout("2027-01-01 to 2027-12-31")


def _form(clinic: Clinic, **changes: object) -> dict[str, object]:
    version = current_protocol_version(clinic, "iv-ketamine-induction")
    assert version is not None
    data: dict[str, object] = {
        "protocol": str(version.public_id),
        "earliest_start": _monday(clinic).isoformat(),
        "weekdays": ["0", "2", "4"],
        "earliest_time": "08:00",
        "latest_time": "18:00",
        "blackout": "",
    }
    data.update(changes)
    return data


def test_the_page_proposes_a_course_with_reasons_and_audits_the_read(
    clinic: Clinic, new_patient: Callable[..., Patient], client_for: Callable[[Role], Client]
) -> None:
    patient = new_patient(clinic)
    url = reverse("planner:plan", args=[patient.public_id])
    client = client_for(Role.FRONT_DESK)
    page = client.get(url)
    assert page.status_code == 200
    assert "Plan a course of treatment" in page.content.decode()
    response = client.post(url, _form(clinic), HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Proposed course: IV racemic ketamine induction" in text
    assert text.count("Ketamine infusion</") + text.count("· Ketamine infusion") >= 6
    assert "Book this course" in text
    assert "R-IV-2" in text
    assert (
        AuditEvent.objects.filter(
            action="scheduling.course_planner_opened", patient_public_id=patient.public_id
        ).count()
        == 2
    )
    chart = client.get(reverse("patients:chart", args=[patient.public_id])).content.decode()
    assert url in chart


def test_a_nofit_names_the_blocker_and_offers_alternatives(
    clinic: Clinic, new_patient: Callable[..., Patient], client_for: Callable[[Role], Client]
) -> None:
    patient = new_patient(clinic)
    url = reverse("planner:plan", args=[patient.public_id])
    response = client_for(Role.PRESCRIBER).post(url, _form(clinic, weekdays=["5", "6"]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "No course fits" in text
    assert "Any day of the week the clinic is open" in text
    assert 'name="weekdays" value="4"' in text  # the alternative's button carries every day


def test_bad_input_is_named_and_nothing_is_planned(
    clinic: Clinic, new_patient: Callable[..., Patient], client_for: Callable[[Role], Client]
) -> None:
    patient = new_patient(clinic)
    url = reverse("planner:plan", args=[patient.public_id])
    response = client_for(Role.FRONT_DESK).post(
        url,
        _form(
            clinic,
            weekdays=[],
            latest_time="07:00",
            earliest_start="2000-01-01",
            blackout="soon",
            protocol="nope",
        ),
    )
    text = response.content.decode()
    assert response.status_code == 422
    for words in (
        "Tick at least one day",
        "stay after they arrive",
        "cannot be in the past",
        "is not a date",
        "not one the clinic offers now",
    ):
        assert words in text
    assert "Proposed course" not in text


def test_booking_a_proposal_books_the_whole_course(
    clinic: Clinic, new_patient: Callable[..., Patient], client_for: Callable[[Role], Client]
) -> None:
    patient = new_patient(clinic)
    client = client_for(Role.FRONT_DESK)
    response = client.post(reverse("planner:plan", args=[patient.public_id]), _form(clinic))
    token = response.context["token"]
    planned = response.context["answer"]
    version = current_protocol_version(clinic, "iv-ketamine-induction")
    assert version is not None
    book = reverse("planner:book", args=[patient.public_id])
    courses, appointments = Course.objects.count(), Appointment.objects.count()
    # A changed or foreign plan is refused in words, and nothing is written.
    tampered = client.post(book, {"protocol": str(version.public_id), "plan": token + "x"})
    assert tampered.status_code == 422
    assert "out of date or was changed" in tampered.content.decode()
    other = client.post(book, {"protocol": "nope", "plan": token})
    assert "not one the clinic offers now" in other.content.decode()
    assert (Course.objects.count(), Appointment.objects.count()) == (courses, appointments)

    booked = client.post(book, {"protocol": str(version.public_id), "plan": token})
    assert booked.status_code == 302
    assert booked["Location"] == reverse("calendar:patient", args=[patient.public_id])
    course = Course.objects.get(patient=patient)
    assert course.protocol == version
    rows = list(Appointment.objects.filter(course=course).order_by("starts_at"))
    assert [(a.session_type, a.starts_at, a.room_id, a.nurse_id) for a in rows] == [
        (s.session_type, s.starts_at, s.room_id, s.nurse_id) for s in planned.sessions
    ]
    # The same plan again: the slots are taken now, so nothing more is written.
    again = client.post(book, {"protocol": str(version.public_id), "plan": token})
    assert again.status_code == 422
    assert Appointment.objects.filter(course=course).count() == len(rows)
