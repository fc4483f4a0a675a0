"""The waitlist (issue 13.4): staff add a patient (course optional, session type, days, times,
note), withdraw an entry with a reason; an entry offered a freed slot shows it with "Book it"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment, Course, WaitlistEntry
from kapclinic.scheduling.tests.calendar_booked import book_directly, course_of, treatment_room
from kapclinic.scheduling.waitlist.selectors import list_waitlist, waitlist_offers
from kapclinic.scheduling.waitlist.services import (
    WaitRequest,
    add_to_waitlist,
    book_from_waitlist,
    withdraw_from_waitlist,
)

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 1)
NINE = datetime(2027, 3, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def home(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def desk(demo_user: Callable[[Role], User], home: Clinic) -> Actor:
    return Actor.for_user(demo_user(Role.FRONT_DESK), home)


@pytest.fixture
def patient(home: Clinic, new_patient: Callable[..., Patient]) -> Patient:
    return new_patient(home, given_name="Ida", family_name="Waitley")


def test_a_patient_is_added_with_their_course_and_the_addition_is_audited(
    desk: Actor, patient: Patient
) -> None:
    course = course_of(patient.clinic, patient)
    entry = add_to_waitlist(
        actor=desk,
        patient=patient,
        wait=WaitRequest(
            earliest_day=TODAY,
            course=course,
            session_type="kap-dose",
            latest_day=TODAY + timedelta(days=14),
            weekdays=[4, 0, 0],
            not_before=time(9),
            not_after=time(13),
            note="Needs an escort",
        ),
        today=TODAY,
    )
    assert entry.status == WaitlistEntry.Status.WAITING
    assert entry.weekdays == [0, 4]
    assert AuditEvent.objects.filter(
        action=SchedulingAuditAction.WAITLIST_ADDED, patient_public_id=patient.public_id
    ).exists()
    [row] = [r for r in list_waitlist(patient.clinic) if r.entry == entry]
    assert row.session_name == "KAP dosing session"
    assert row.weekdays == "Mon, Fri"
    with pytest.raises(SchedulingError, match="already on the waitlist"):
        add_to_waitlist(
            actor=desk,
            patient=patient,
            wait=WaitRequest(earliest_day=TODAY, course=course, session_type="kap-dose"),
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"session_type": "kap-dose"}, "session_type"),  # a session type needs its course
        ({"earliest_day": TODAY - timedelta(days=1)}, "earliest_day"),
        ({"latest_day": TODAY - timedelta(days=1)}, "latest_day"),
        ({"latest_day": TODAY + timedelta(days=400)}, "latest_day"),
        ({"weekdays": [9]}, "weekdays"),
        ({"not_before": time(13), "not_after": time(9)}, "not_after"),
        ({"note": "x" * 201}, "note"),
    ],
)
def test_a_wrong_request_is_refused_on_its_field_and_nothing_is_written(
    desk: Actor, patient: Patient, changes: dict[str, object], field: str
) -> None:
    wait = WaitRequest(**{"earliest_day": TODAY, **changes})  # type: ignore[arg-type]
    with pytest.raises(SchedulingError) as refused:
        add_to_waitlist(actor=desk, patient=patient, wait=wait, today=TODAY)
    assert refused.value.field == field
    assert not WaitlistEntry.objects.filter(patient=patient).exists()


def test_another_patient_s_course_or_an_unknown_session_type_is_refused(
    desk: Actor, patient: Patient, new_patient: Callable[..., Patient]
) -> None:
    other = new_patient(patient.clinic)
    foreign = course_of(other.clinic, other)
    with pytest.raises(SchedulingError, match="open courses"):
        add_to_waitlist(
            actor=desk, patient=patient, wait=WaitRequest(TODAY, course=foreign), today=TODAY
        )
    mine = course_of(patient.clinic, patient)
    with pytest.raises(SchedulingError, match="no session type"):
        add_to_waitlist(
            actor=desk,
            patient=patient,
            wait=WaitRequest(TODAY, course=mine, session_type="infusion"),
            today=TODAY,
        )
    assert not WaitlistEntry.objects.filter(patient=patient).exists()


def test_only_those_who_book_keep_the_waitlist(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    admin = Actor.for_user(demo_user(Role.CLINIC_ADMIN), patient.clinic)
    with pytest.raises(SchedulingError, match="Only staff who book"):
        add_to_waitlist(actor=admin, patient=patient, wait=WaitRequest(TODAY), today=TODAY)
    assert not WaitlistEntry.objects.filter(patient=patient).exists()


def test_withdrawing_needs_a_reason_and_is_audited(desk: Actor, patient: Patient) -> None:
    entry = add_to_waitlist(actor=desk, patient=patient, wait=WaitRequest(TODAY), today=TODAY)
    with pytest.raises(SchedulingError, match="reason"):
        withdraw_from_waitlist(actor=desk, entry=entry, reason="…")
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
    withdraw_from_waitlist(actor=desk, entry=entry, reason="Booked another time by phone")
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WITHDRAWN
    assert AuditEvent.objects.filter(action=SchedulingAuditAction.WAITLIST_WITHDRAWN).exists()
    with pytest.raises(SchedulingError, match="no longer on the waitlist"):
        withdraw_from_waitlist(actor=desk, entry=entry, reason="Booked another time by phone")


def _offered(desk: Actor, patient: Patient, new_patient: Callable[..., Patient]) -> WaitlistEntry:
    """An entry offered the slot another patient's cancelled session freed."""
    course = course_of(patient.clinic, patient)
    entry = add_to_waitlist(
        actor=desk, patient=patient, wait=WaitRequest(TODAY, course=course), today=TODAY
    )
    freed = book_directly(new_patient(patient.clinic), treatment_room(patient.clinic), NINE)
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        status=WaitlistEntry.Status.OFFERED, offered_appointment=freed
    )
    entry.refresh_from_db()
    return entry


def test_an_offered_entry_shows_the_freed_slot_and_only_an_offer_is_booked(
    desk: Actor, patient: Patient, new_patient: Callable[..., Patient]
) -> None:
    entry = _offered(desk, patient, new_patient)
    assert list(waitlist_offers(patient.clinic)) == [entry]
    [row] = [r for r in list_waitlist(patient.clinic) if r.entry == entry]
    assert row.offered is not None
    assert row.offered.starts.hour == 9
    # Booking an entry with nothing on offer is refused and writes nothing (the booked path:
    # test_appointment_actions, "Book it").
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        status=WaitlistEntry.Status.WAITING, offered_appointment=None
    )
    entry.refresh_from_db()
    appointments = Appointment.objects.count()
    with pytest.raises(SchedulingError, match="no slot on offer"):
        book_from_waitlist(actor=desk, entry=entry, now=NINE - timedelta(days=1))
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
    assert Appointment.objects.count() == appointments


# --- pages -----------------------------------------------------------------------------------


def test_the_waitlist_page_lists_entries_and_offers_with_book_it(
    client_for: Callable[[Role], Client],
    desk: Actor,
    patient: Patient,
    new_patient: Callable[..., Patient],
) -> None:
    _offered(desk, patient, new_patient)
    html = client_for(Role.FRONT_DESK).get(reverse("calendar:waitlist")).content.decode()
    assert f"Waitley, Ida ({patient.mrn})" in html
    assert "Offered:" in html
    assert "09:00–11:00" in html
    assert "Book it" in html
    admin = client_for(Role.CLINIC_ADMIN).get(reverse("calendar:waitlist")).content.decode()
    assert "Waitley" in admin
    assert "Book it" not in admin


def test_a_patient_is_found_by_mrn_and_added_on_the_page(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    client = client_for(Role.FRONT_DESK)
    unknown = client.post(reverse("calendar:waitlist-find"), {"mrn": "NOPE-1"})
    assert unknown.status_code == 422
    assert "No patient of this clinic" in unknown.content.decode()
    found = client.post(reverse("calendar:waitlist-find"), {"mrn": patient.mrn})
    add = reverse("calendar:waitlist-add", args=[patient.public_id])
    assert found.status_code == 302
    assert found["Location"] == add
    assert client.get(add).status_code == 200
    bad = client.post(add, {"earliest_day": "2001-01-01", "weekdays": ["1", "3"]})
    assert bad.status_code == 422
    assert "cannot be in the past" in bad.content.decode()
    assert not WaitlistEntry.objects.filter(patient=patient).exists()
    today = patient.clinic.local_today()
    ok = client.post(
        add, {"earliest_day": f"{today:%Y-%m-%d}", "weekdays": ["1", "3"], "note": "Mornings"}
    )
    assert ok.status_code == 302
    entry = WaitlistEntry.objects.get(patient=patient)
    assert entry.weekdays == [1, 3]
    assert entry.course is None


def test_the_add_page_offers_the_patient_s_course_and_its_session_types(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    course = course_of(patient.clinic, patient)
    client = client_for(Role.NURSE)
    add = reverse("calendar:waitlist-add", args=[patient.public_id])
    html = client.get(add).content.decode()
    assert "KAP dosing session" in html
    today = patient.clinic.local_today()
    ok = client.post(
        add,
        {
            "earliest_day": f"{today:%Y-%m-%d}",
            "course": str(course.public_id),
            "session_type": "kap-dose",
        },
    )
    assert ok.status_code == 302
    assert WaitlistEntry.objects.get(patient=patient).course == course


def test_withdrawing_on_the_page_without_a_reason_writes_nothing(
    client_for: Callable[[Role], Client], desk: Actor, patient: Patient
) -> None:
    entry = add_to_waitlist(
        actor=desk,
        patient=patient,
        wait=WaitRequest(patient.clinic.local_today()),
        today=patient.clinic.local_today(),
    )
    client = client_for(Role.FRONT_DESK)
    url = reverse("calendar:waitlist-withdraw", args=[entry.public_id])
    bad = client.post(url, {"reason": ""})
    assert bad.status_code == 422
    assert "Give the reason" in bad.content.decode()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
    assert client.post(url, {"reason": "Patient found another clinic"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WITHDRAWN


def test_book_it_refuses_an_entry_without_an_offer_or_a_course(
    client_for: Callable[[Role], Client],
    desk: Actor,
    patient: Patient,
    new_patient: Callable[..., Patient],
) -> None:
    waiting = add_to_waitlist(
        actor=desk,
        patient=patient,
        wait=WaitRequest(patient.clinic.local_today()),
        today=patient.clinic.local_today(),
    )
    client = client_for(Role.FRONT_DESK)
    response = client.post(reverse("calendar:waitlist-book", args=[waiting.public_id]), follow=True)
    assert "no slot on offer" in response.content.decode()
    freed = book_directly(new_patient(patient.clinic), treatment_room(patient.clinic), NINE)
    WaitlistEntry.objects.filter(pk=waiting.pk).update(
        status=WaitlistEntry.Status.OFFERED, offered_appointment=freed
    )
    response = client.post(reverse("calendar:waitlist-book", args=[waiting.public_id]), follow=True)
    assert "plan their course" in response.content.decode()
    assert not Course.objects.filter(patient=patient).exists()


def test_another_clinic_s_entry_answers_404(
    client_for: Callable[[Role], Client],
    clinics: list[Clinic],
    new_patient: Callable[..., Patient],
    demo_user: Callable[[Role], User],
) -> None:
    elsewhere = new_patient(clinics[1])
    actor = Actor.for_user(demo_user(Role.PRESCRIBER), clinics[1])  # works in both clinics
    entry = add_to_waitlist(
        actor=actor,
        patient=elsewhere,
        wait=WaitRequest(clinics[1].local_today()),
        today=clinics[1].local_today(),
    )
    client = client_for(Role.FRONT_DESK)
    url = reverse("calendar:waitlist-withdraw", args=[entry.public_id])
    assert client.post(url, {"reason": "Patient found another clinic"}).status_code == 404
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
