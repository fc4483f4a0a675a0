"""The calendars (issue 13.4): the clinic's week and day, a room's and a staff member's, the
signed-in person's own, a patient's appointments; times in the clinic's time zone, every
appointment with its session, kind, room, staff, status, patient and override mark; a constant
number of queries whatever the number of appointments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.models import Appointment, WorkingHours
from kapclinic.scheduling.tests.calendar_booked import book_directly, course_of, treatment_room

pytestmark = pytest.mark.django_db

MONDAY = "2027-03-01"
NINE = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)  # 9:00 in New York, the first demo clinic's zone


@pytest.fixture
def home(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def patient(home: Clinic, new_patient: Callable[..., Patient]) -> Patient:
    return new_patient(home, given_name="Wren", family_name="Calloway")


def _week(client: Client, **params: str) -> str:
    response = client.get(reverse("calendar:clinic"), {"day": MONDAY, **params})
    assert response.status_code == 200
    return response.content.decode()


def test_the_week_shows_each_appointment_in_the_clinic_time_zone_with_all_it_needs(
    client_for: Callable[[Role], Client],
    demo_user: Callable[[Role], User],
    home: Clinic,
    patient: Patient,
) -> None:
    room = treatment_room(home)
    book_directly(
        patient,
        room,
        NINE + timedelta(days=2),
        nurse=demo_user(Role.NURSE),
        override_reason="Patient travels far; spacing agreed with the prescriber",
    )
    html = _week(client_for(Role.FRONT_DESK))
    assert "week of 1 March 2027" in html
    assert "09:00–11:00" in html  # 14:00 UTC is 9:00 in New York
    assert "KAP dosing session" in html
    assert "Dosing" in html
    assert f"Calloway, Wren ({patient.mrn})" in html
    assert room.name in html
    assert "Nurse: Noah Nightingale, RN" in html
    assert "Booked" in html
    assert "override" in html
    assert html.count('<section class="cal-day') == 7


def test_the_day_view_and_the_filters_narrow_the_calendar(
    client_for: Callable[[Role], Client],
    demo_user: Callable[[Role], User],
    home: Clinic,
    new_patient: Callable[..., Patient],
) -> None:
    first, second = treatment_room(home, "Room North"), treatment_room(home, "Room South")
    nurse, therapist = demo_user(Role.NURSE), demo_user(Role.THERAPIST)
    a = new_patient(home, family_name="Northcote")
    b = new_patient(home, family_name="Southwell")
    book_directly(a, first, NINE, nurse=nurse)
    book_directly(b, second, NINE + timedelta(days=1), therapist=therapist, minutes=60)
    client = client_for(Role.NURSE)

    day = client.get(reverse("calendar:clinic"), {"day": MONDAY, "view": "day"})
    html = day.content.decode()
    assert "Northcote" in html
    assert "Southwell" not in html
    assert html.count('<section class="cal-day') == 1

    by_room = _week(client, room=str(second.public_id))
    assert "Southwell" in by_room
    assert "Northcote" not in by_room
    by_staff = _week(client, staff=str(nurse.public_id))
    assert "Northcote" in by_staff
    assert "Southwell" not in by_staff


def test_my_calendar_shows_only_the_sessions_i_run(
    client_for: Callable[[Role], Client],
    demo_user: Callable[[Role], User],
    home: Clinic,
    new_patient: Callable[..., Patient],
) -> None:
    room = treatment_room(home)
    book_directly(new_patient(home, family_name="Minealy"), room, NINE, nurse=demo_user(Role.NURSE))
    book_directly(
        new_patient(home, family_name="Otherton"),
        room,
        NINE + timedelta(days=1),
        therapist=demo_user(Role.THERAPIST),
    )
    response = client_for(Role.NURSE).get(reverse("calendar:mine"), {"day": MONDAY})
    html = response.content.decode()
    assert response.status_code == 200
    assert "My calendar" in html
    assert "Minealy" in html
    assert "Otherton" not in html
    assert "1 appointment with you" in html


def test_statuses_are_shown_and_cancelled_ones_struck_through(
    client_for: Callable[[Role], Client], home: Clinic, new_patient: Callable[..., Patient]
) -> None:
    room = treatment_room(home)
    attended = book_directly(new_patient(home), room, NINE)
    cancelled = book_directly(new_patient(home), room, NINE + timedelta(days=1))
    Appointment.objects.filter(pk=attended.pk).update(status=Appointment.Status.ATTENDED)
    Appointment.objects.filter(pk=cancelled.pk).update(
        status=Appointment.Status.CANCELLED, cancelled_at=NINE, cancel_reason="Patient unwell"
    )
    html = _week(client_for(Role.THERAPIST))
    assert "Attended" in html
    assert "appt-attended" in html
    assert "Cancelled" in html
    assert "appt-cancelled" in html


def test_a_bad_day_is_a_clear_error_not_a_crash(client_for: Callable[[Role], Client]) -> None:
    client = client_for(Role.FRONT_DESK)
    for day in ("2027-02-31", "9999-12-31", "yesterday"):
        response = client.get(reverse("calendar:clinic"), {"day": day, "view": "week"})
        assert response.status_code == 400
        assert "field-error" in response.content.decode()


def test_opening_hours_and_prescriber_coverage_are_on_each_day(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User], home: Clinic
) -> None:
    prescriber = demo_user(Role.PRESCRIBER)
    WorkingHours.objects.filter(user=prescriber).delete()
    WorkingHours.objects.create(
        clinic=home, user=prescriber, weekday=0, starts_at=time(9), ends_at=time(17)
    )
    WorkingHours.objects.create(
        clinic=home, user=prescriber, weekday=1, starts_at=time(9), ends_at=time(17), on_site=False
    )
    html = _week(client_for(Role.FRONT_DESK))
    assert "Open 08:00–18:00" in html  # the demo clinics open 8 to 18 on weekdays
    monday, tuesday = html.split('id="day-20270301"')[1].split('id="day-20270302"')
    assert "Prescriber on site 09:00–17:00 (Dr. Priya Prescott, MD)" in monday
    assert "No prescriber on site" in tuesday.split('id="day-20270303"')[0]  # remote only


def test_the_calendar_is_refused_to_researchers(client_for: Callable[[Role], Client]) -> None:
    for name in ("calendar:clinic", "calendar:mine"):
        assert client_for(Role.RESEARCHER).get(reverse(name)).status_code == 403


# Session types of each shipped protocol (an appointment of each names its version's session).
SESSIONS = {
    "kap-im-sl": "kap-dose",
    "iv-ketamine-induction": "infusion",
    "esketamine-rems": "induction-dose",
    "ketamine-maintenance": "booster",
    "cbt-comparison": "cbt-session",
}


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("calendar:clinic", {}),
        ("calendar:clinic", {"view": "day"}),
        ("calendar:clinic", {"room": "room"}),
        ("calendar:clinic", {"staff": "nurse"}),
        ("calendar:mine", {}),
    ],
    ids=["clinic week", "clinic day", "room week", "staff week", "my week"],
)
def test_the_calendars_ask_a_constant_number_of_queries_however_many_appointments(
    client_for: Callable[[Role], Client],
    demo_user: Callable[[Role], User],
    home: Clinic,
    add_demo_patients: Callable[[int], None],
    page: str,
    params: dict[str, str],
) -> None:
    """Issue 13's week view target: the same queries for 3 appointments of one protocol as for
    43 of five protocol versions, each with its patient, room and staff."""
    room = treatment_room(home, capacity=8)
    nurse, therapist = demo_user(Role.NURSE), demo_user(Role.THERAPIST)
    client = client_for(Role.NURSE)
    values = {"room": str(room.public_id), "nurse": str(nurse.public_id)}
    query = {"day": MONDAY, **{k: values.get(v, v) for k, v in params.items()}}

    def booked(count: int, protocols: list[str]) -> None:
        patients = Patient.objects.filter(clinic=home).exclude(appointments__isnull=False)
        first = Appointment.objects.filter(room=room).count()
        for n, p in enumerate(patients[:count]):
            protocol = protocols[n % len(protocols)]
            course_of(home, p, protocol)
            # Half-hour slots of their own over the week's five days, Monday (the day view's) on.
            slot = first + n
            book_directly(
                p,
                room,
                NINE + timedelta(days=slot % 5, minutes=30 * (slot // 5)),
                session_type=SESSIONS[protocol],
                minutes=30,
                nurse=nurse if n % 2 else None,
                therapist=None if n % 2 else therapist,
            )

    def queries() -> tuple[int, str]:
        client.get(reverse(page), query)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(page), query)
        assert response.status_code == 200
        return len(captured.captured_queries), response.content.decode()

    booked(3, ["kap-im-sl"])
    small, html = queries()
    assert "KAP dosing session" in html
    add_demo_patients(60)
    booked(40, list(SESSIONS))
    assert Appointment.objects.filter(room=room).count() == 43
    many, html = queries()
    assert many == small
    assert html.count('class="cal-entry ') > 3
    assert html.count('<strong class="nowrap">') == html.count('class="cal-entry ')


def test_a_patient_s_appointments_ask_a_constant_number_of_queries(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    room = treatment_room(patient.clinic, capacity=8)
    url = reverse("calendar:patient", args=[patient.public_id])
    client = client_for(Role.THERAPIST)

    def queries() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    book_directly(patient, room, NINE)
    few = queries()
    for week in range(1, 20):
        book_directly(patient, room, NINE + timedelta(weeks=week))
    assert queries() == few


def test_an_entry_escapes_what_it_shows(
    client_for: Callable[[Role], Client], home: Clinic, new_patient: Callable[..., Patient]
) -> None:
    """The entries are built in Python (entry_tags), not by the template engine: every value is
    still escaped."""
    patient = new_patient(home, given_name="<b>Ada</b>", family_name='O"Brien & <i>Co</i>')
    book_directly(patient, treatment_room(home, "Room <3"), NINE, override_reason="<script>")
    html = _week(client_for(Role.FRONT_DESK))
    assert "O&quot;Brien &amp; &lt;i&gt;Co&lt;/i&gt;, &lt;b&gt;Ada&lt;/b&gt;" in html
    assert "Room &lt;3, chair 1" in html
    assert "<b>Ada</b>" not in html
    assert "<script>" not in html


def test_a_patient_s_appointments_page_is_audited_and_another_clinic_s_answers_404(
    client_for: Callable[[Role], Client],
    clinics: list[Clinic],
    patient: Patient,
    new_patient: Callable[..., Patient],
) -> None:
    room = treatment_room(patient.clinic)
    book_directly(patient, room, NINE)
    url = reverse("calendar:patient", args=[patient.public_id])
    response = client_for(Role.THERAPIST).get(url)
    assert response.status_code == 200
    assert "Appointments of Calloway, Wren" in response.content.decode()
    assert AuditEvent.objects.filter(
        action=SchedulingAuditAction.APPOINTMENTS_VIEWED, patient_public_id=patient.public_id
    ).exists()
    elsewhere = new_patient(clinics[1])
    # The demo therapist works in the first clinic only: another clinic's patient is not found.
    other = client_for(Role.THERAPIST).get(reverse("calendar:patient", args=[elsewhere.public_id]))
    assert other.status_code == 404


def test_the_chart_lists_the_next_appointments(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    room = treatment_room(patient.clinic)
    future = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    appointment = book_directly(patient, room, future)
    html = client_for(Role.NURSE).get(reverse("patients:chart", args=[patient.public_id]))
    text = html.content.decode()
    assert "Appointments" in text
    assert reverse("calendar:appointment", args=[appointment.public_id]) in text


def test_the_appointment_page_is_audited_and_shows_the_actions_to_those_who_book(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    room = treatment_room(patient.clinic)
    appointment = book_directly(patient, room, NINE, override_reason="Agreed with prescriber")
    url = reverse("calendar:appointment", args=[appointment.public_id])
    desk = client_for(Role.FRONT_DESK).get(url).content.decode()
    assert "Move the appointment" in desk
    assert "Cancel the appointment" in desk
    assert "Agreed with prescriber" in desk
    assert AuditEvent.objects.filter(
        action=SchedulingAuditAction.APPOINTMENT_VIEWED, patient_public_id=patient.public_id
    ).exists()
    admin = client_for(Role.CLINIC_ADMIN).get(url).content.decode()
    assert "Move the appointment" not in admin  # admins see the calendar, do not book
    assert client_for(Role.RESEARCHER).get(url).status_code == 403


def test_bad_move_and_cancel_forms_are_refused_on_their_fields_and_nothing_changes(
    client_for: Callable[[Role], Client], patient: Patient, clinics: list[Clinic]
) -> None:
    room = treatment_room(patient.clinic)
    appointment = book_directly(patient, room, NINE)
    client = client_for(Role.NURSE)
    check = client.post(reverse("calendar:check", args=[appointment.public_id]), {"day": "x"})
    assert "Choose a day, a time and a room" in check.content.decode()
    far = {"day": "2099-03-01", "starts": "09:00", "room": str(room.public_id)}
    far_check = client.post(reverse("calendar:check", args=[appointment.public_id]), far)
    assert "within five years" in far_check.content.decode()
    move = reverse("calendar:move", args=[appointment.public_id])
    for data in (
        {},
        far,
        {"day": "2027-03-02", "starts": "25:00", "room": str(room.public_id)},
        {"day": "2027-03-02", "starts": "09:00", "room": str(treatment_room(clinics[1]).public_id)},
    ):
        response = client.post(move, data)
        assert response.status_code == 422
        assert "field-error" in response.content.decode()
    cancel = client.post(reverse("calendar:cancel", args=[appointment.public_id]), {"reason": ""})
    assert cancel.status_code == 422
    assert "Give the reason for cancelling." in cancel.content.decode()
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.status) == (NINE, Appointment.Status.BOOKED)
