"""Calendar feeds (issue 13.6): per staff member, per room and the patient's own, behind
revocable tokens; each feed parsed back with ``icalendar`` and with ``vobject`` (a calendar
client's parser); the patient's feed holds nothing clinical; revoked and unknown tokens 404."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import vobject
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, Room, StaffMembership, User
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment, CalendarFeed
from kapclinic.scheduling.notify.feeds import sequence_of
from kapclinic.scheduling.notify.selectors import feed_content, open_feed
from kapclinic.scheduling.notify.services import (
    issue_patient_feed,
    issue_room_feed,
    issue_staff_feed,
    record_feed_read,
    revoke_feed,
)
from kapclinic.scheduling.tests.booked import book, cancel, course_for, room_of, with_portal_login

pytestmark = pytest.mark.django_db

# Words that would make a patient's feed clinical: drugs, doses, diagnoses, scores, protocols.
CLINICAL = re.compile(
    r"ketamine|esketamine|spravato|\bmg\b|dose|dosing|infusion|diagnos|depress|phq|gad-7|"
    r"score|\brems\b|induction|maintenance|\bicd\b|\bf33\b|suicid",
    re.IGNORECASE,
)


@pytest.fixture
def clinic(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


def _soon() -> datetime:
    return (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def _read(token: str, client: Client | None = None) -> tuple[int, bytes]:
    response = (client or Client()).get(reverse("calendar-feed", args=[token]))
    return response.status_code, response.content


def _events(body: bytes) -> dict[str, dict[str, object]]:
    """UID -> the event's fields, parsed by icalendar; vobject (a calendar client's parser)
    must read the same events with the same times and summaries."""
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    events: dict[str, dict[str, object]] = {
        str(event["UID"]): {
            "summary": str(event["SUMMARY"]),
            "description": str(event.get("DESCRIPTION", "")),
            "location": str(event.get("LOCATION", "")),
            "status": str(event["STATUS"]),
            "sequence": event.decoded("SEQUENCE"),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
        }
        for event in calendar.walk("VEVENT")
    }
    client = vobject.readOne(body.decode())
    read = {
        e.uid.value: (e.summary.value, e.dtstart.value) for e in client.contents.get("vevent", [])
    }
    assert read == {uid: (e["summary"], e["start"]) for uid, e in events.items()}
    return events


def _uid(appointment: Appointment) -> str:
    return f"{appointment.public_id}@kapclinic"


def test_a_staff_feed_lists_their_sessions_and_names_no_patient(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    nurse, other = staff_of(clinic, Role.NURSE), staff_of(clinic, Role.PRESCRIBER)
    therapist = staff_of(clinic, Role.THERAPIST)
    patients = [new_patient(clinic) for _ in range(3)]
    start = _soon()
    mine = book(course_for(patients[0]), "kap-dose", start, nurse=nurse, therapist=therapist)
    also = book(course_for(patients[1]), "integration", start + timedelta(days=1), therapist=nurse)
    book(course_for(patients[2]), "kap-dose", start, nurse=other)  # someone else's
    issued = issue_staff_feed(actor=Actor.for_user(nurse, clinic), now=timezone.now())

    response = Client().get(reverse("calendar-feed", args=[issued.token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert not response.cookies  # no session: nothing is kept for the caller
    events = _events(response.content)
    assert set(events) == {_uid(mine), _uid(also)}
    room = room_of(clinic)
    dose = events[_uid(mine)]
    assert dose["summary"] == f"KAP dosing session · {room.name}"
    assert dose["start"] == mine.starts_at
    assert dose["end"] == mine.ends_at
    assert dose["location"] == f"{room.name}, {clinic.name}"
    assert f"Therapist: {therapist.full_name}" in str(dose["description"])
    assert dose["status"] == "CONFIRMED"
    text = response.content.decode()
    for patient in patients:
        assert patient.family_name not in text
        assert patient.given_name not in text
        assert patient.mrn not in text
    assert f"{nurse.full_name}: sessions at {clinic.name}" in text  # the calendar's name


def test_cancelled_sessions_are_marked_cancelled_and_a_move_raises_the_sequence(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    room = room_of(clinic)
    first = book(course_for(new_patient(clinic)), "kap-dose", _soon(), room=room)
    second = book(course_for(new_patient(clinic)), "preparation", _soon(), room=room)
    admin = staff_of(clinic, Role.CLINIC_ADMIN)
    issued = issue_room_feed(actor=Actor.for_user(admin, clinic), room=room, now=timezone.now())
    before = _events(_read(issued.token)[1])
    assert before[_uid(first)]["sequence"] == before[_uid(second)]["sequence"] == 0

    cancel(first, timezone.now())
    Appointment.objects.filter(pk=first.pk).update(updated_at=first.created_at + timedelta(hours=2))
    moved = second.starts_at + timedelta(days=1)
    Appointment.objects.filter(pk=second.pk).update(
        starts_at=moved,
        ends_at=moved + timedelta(hours=1),
        updated_at=second.created_at + timedelta(minutes=5),
    )
    feed = open_feed(issued.token)
    assert feed is not None
    after = {e.public_id: e for e in feed_content(feed, now=timezone.now()).events}

    assert after[str(first.public_id)].cancelled
    assert after[str(first.public_id)].summary.startswith("Cancelled: ")
    assert after[str(first.public_id)].sequence == 7200
    assert after[str(second.public_id)].sequence == 300
    assert after[str(second.public_id)].starts_at == moved
    body = _read_again(issued.token)
    assert _events(body)[_uid(first)]["status"] == "CANCELLED"


def _read_again(token: str) -> bytes:
    """A second fetch of one feed within the read limit: move its last read back first."""
    CalendarFeed.objects.filter(token_sha256=hashlib.sha256(token.encode()).hexdigest()).update(
        last_read_at=timezone.now() - timedelta(minutes=1)
    )
    status, body = _read(token)
    assert status == 200
    return body


def test_the_sequence_never_goes_down() -> None:
    now = timezone.now()
    assert sequence_of(now, now) == 0
    assert sequence_of(now, now + timedelta(seconds=90)) == 90
    assert sequence_of(now, now + timedelta(milliseconds=20)) == 0
    assert sequence_of(now, now - timedelta(seconds=1)) == 0


def test_a_room_feed_lists_that_room_only(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    room = Room.objects.create(clinic=clinic, name="Feed room", capacity=2)
    here = book(course_for(new_patient(clinic)), "kap-dose", _soon(), room=room)
    book(course_for(new_patient(clinic)), "kap-dose", _soon(), room=room_of(clinic))
    admin = staff_of(clinic, Role.CLINIC_ADMIN)
    issued = issue_room_feed(actor=Actor.for_user(admin, clinic), room=room, now=timezone.now())

    events = _events(_read(issued.token)[1])

    assert list(events) == [_uid(here)]
    assert events[_uid(here)]["summary"] == "KAP dosing session · Feed room, chair 1"


def test_the_patient_feed_holds_time_place_and_preparation_and_nothing_clinical(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    patient, other = new_patient(clinic), new_patient(clinic)
    user = with_portal_login(patient)
    course = course_for(patient, "esketamine-rems")
    dose = book(course, "induction-dose", _soon())
    enrolment = book(course, "rems-enrolment", _soon() - timedelta(days=1))
    theirs = book(course_for(other), "kap-dose", _soon())
    issued = issue_patient_feed(actor=Actor.for_user(user), patient=patient, now=timezone.now())

    status, body = _read(issued.token)

    assert status == 200
    events = _events(body)
    assert set(events) == {_uid(dose), _uid(enrolment)}  # never another patient's
    assert _uid(theirs) not in body.decode()
    session = events[_uid(dose)]
    assert session["summary"] == f"Treatment session at {clinic.name}"
    assert session["location"] == (
        f"{clinic.name}, {clinic.address_line}, {clinic.city}, {clinic.region} {clinic.postal_code}"
    )
    description = str(session["description"])
    assert "Do not eat for 2 hours" in description  # the protocol's instructions
    assert "Arrange for someone else to drive you home" in description
    assert events[_uid(enrolment)]["summary"] == f"Preparation visit at {clinic.name}"
    unfolded = Calendar.from_ical(body).to_ical().decode().replace("\r\n ", "")
    assert not CLINICAL.findall(unfolded)
    for word in (patient.given_name, patient.family_name, patient.mrn, other.mrn):
        assert word not in unfolded


def test_a_revoked_or_unknown_token_answers_404_without_detail(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    nurse = staff_of(clinic, Role.NURSE)
    actor = Actor.for_user(nurse, clinic)
    issued = issue_staff_feed(actor=actor, now=timezone.now())
    assert _read(issued.token)[0] == 200

    revoke_feed(actor=actor, feed=issued.feed, now=timezone.now())

    for token in (issued.token, "A" * 43):
        status, body = _read(token)
        assert (status, body) == (404, b"Not found.\n")
    assert Client().get("/calendar/short.ics").status_code == 404
    with pytest.raises(SchedulingError, match="revoked already"):
        revoke_feed(actor=actor, feed=issued.feed, now=timezone.now())
    with pytest.raises(SchedulingError, match="no calendar feed"):
        revoke_feed(actor=actor, feed=None, now=timezone.now())


def test_only_the_tokens_hash_is_stored_and_a_new_address_replaces_the_old(
    clinic: Clinic,
) -> None:
    nurse = staff_of(clinic, Role.NURSE)
    actor = Actor.for_user(nurse, clinic)
    first = issue_staff_feed(actor=actor, now=timezone.now())
    second = issue_staff_feed(actor=actor, now=timezone.now())

    assert len(first.token) == 43
    stored = CalendarFeed.objects.get(pk=second.feed.pk)
    assert stored.token_sha256 == hashlib.sha256(second.token.encode()).hexdigest()
    assert second.token not in str(CalendarFeed.objects.filter(pk=stored.pk).values().get())
    assert _read(first.token)[0] == 404
    assert _read(second.token)[0] == 200
    assert CalendarFeed.objects.filter(user=nurse, revoked_at__isnull=True).count() == 1
    actions = list(
        AuditEvent.objects.filter(
            action__in=[SchedulingAuditAction.FEED_ISSUED, SchedulingAuditAction.FEED_REVOKED],
            target__in=[f"scheduling.CalendarFeed:{f.feed.public_id}" for f in (first, second)],
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        [SchedulingAuditAction.FEED_ISSUED] * 2 + [SchedulingAuditAction.FEED_REVOKED]
    )


def test_a_staff_members_feed_stops_when_their_role_ends(clinic: Clinic) -> None:
    nurse = staff_of(clinic, Role.NURSE)
    issued = issue_staff_feed(actor=Actor.for_user(nurse, clinic), now=timezone.now())
    StaffMembership.objects.filter(user=nurse, clinic=clinic).update(is_active=False)

    assert _read(issued.token)[0] == 404


def test_a_merged_patients_feed_stops(clinic: Clinic, new_patient: Callable[..., Patient]) -> None:
    patient, kept = new_patient(clinic), new_patient(clinic)
    user = with_portal_login(patient)
    issued = issue_patient_feed(actor=Actor.for_user(user), patient=patient, now=timezone.now())
    Patient.objects.filter(pk=patient.pk).update(
        merged_into=kept, merged_at=timezone.now(), merge_reason="Registered twice by mistake."
    )

    assert _read(issued.token)[0] == 404


def test_a_feed_fetched_again_within_seconds_answers_429(clinic: Clinic) -> None:
    issued = issue_staff_feed(
        actor=Actor.for_user(staff_of(clinic, Role.NURSE), clinic), now=timezone.now()
    )
    assert _read(issued.token)[0] == 200

    response = Client().get(reverse("calendar-feed", args=[issued.token]))

    assert response.status_code == 429
    assert response["Retry-After"] == "5"
    feed = CalendarFeed.objects.get(pk=issued.feed.pk)
    assert feed.last_read_at is not None
    assert record_feed_read(feed, now=feed.last_read_at + timedelta(seconds=5))


def test_who_may_issue_and_revoke(clinic: Clinic, new_patient: Callable[..., Patient]) -> None:
    now = timezone.now()
    nurse = Actor.for_user(staff_of(clinic, Role.NURSE), clinic)
    admin = Actor.for_user(staff_of(clinic, Role.CLINIC_ADMIN), clinic)
    researcher = Actor.for_user(staff_of(clinic, Role.RESEARCHER), clinic)
    other_clinic_room = Room.objects.exclude(clinic=clinic).first()
    patient = new_patient(clinic)
    own = Actor.for_user(with_portal_login(patient))
    feeds = CalendarFeed.objects.count()

    with pytest.raises(SchedulingError, match="see the schedule"):
        issue_staff_feed(actor=researcher, now=now)
    with pytest.raises(SchedulingError, match="admins"):
        issue_room_feed(actor=nurse, room=room_of(clinic), now=now)
    with pytest.raises(SchedulingError, match="admins"):
        issue_room_feed(actor=admin, room=other_clinic_room, now=now)
    with pytest.raises(SchedulingError, match="Choose one"):
        issue_room_feed(actor=admin, room=None, now=now)
    with pytest.raises(SchedulingError, match="own appointments"):
        issue_patient_feed(actor=nurse, patient=patient, now=now)
    with pytest.raises(SchedulingError, match="own appointments"):
        issue_patient_feed(actor=own, patient=new_patient(clinic), now=now)
    assert CalendarFeed.objects.count() == feeds

    room_feed = issue_room_feed(actor=admin, room=room_of(clinic), now=now).feed
    nurse_feed = issue_staff_feed(actor=nurse, now=now).feed
    patient_feed = issue_patient_feed(actor=own, patient=patient, now=now).feed
    for actor, feed in ((nurse, room_feed), (admin, nurse_feed), (nurse, patient_feed)):
        with pytest.raises(SchedulingError, match="cannot revoke"):
            revoke_feed(actor=actor, feed=feed, now=now)
    with pytest.raises(SchedulingError, match="cannot revoke"):  # a patient: not a room's
        revoke_feed(actor=own, feed=room_feed, now=now)
    assert not CalendarFeed.objects.filter(revoked_at__isnull=False).exists()
    revoke_feed(actor=own, feed=patient_feed, now=now)
    revoke_feed(actor=admin, feed=room_feed, now=now)
    assert CalendarFeed.objects.filter(revoked_at__isnull=False).count() == 2


def test_reading_a_feed_takes_the_same_queries_for_few_or_many_sessions(
    clinic: Clinic, new_patient: Callable[..., Patient]
) -> None:
    nurse = staff_of(clinic, Role.NURSE)
    issued = issue_staff_feed(actor=Actor.for_user(nurse, clinic), now=timezone.now())
    patients = [new_patient(clinic) for _ in range(6)]
    book(course_for(patients[0]), "kap-dose", _soon(), nurse=nurse)
    with CaptureQueriesContext(connection) as few:
        _read(issued.token)
    for index, patient in enumerate(patients[1:], start=1):
        book(course_for(patient), "kap-dose", _soon() + timedelta(days=index), nurse=nurse)
    with CaptureQueriesContext(connection) as many:
        assert len(_events(_read_again(issued.token))) == 6

    assert len(many) <= len(few) + 1  # _read_again's own update


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_staff_page_shows_a_new_address_once_and_revokes_it(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    client = client_for(Role.NURSE)
    url = reverse("notify:my-feed")
    assert "You have no calendar feed." in client.get(url).content.decode()

    made = client.post(url, {"action": "create"}).content.decode()

    feed = CalendarFeed.objects.get(user=demo_user(Role.NURSE), revoked_at__isnull=True)
    shown = re.search(r'value="(http://testserver/calendar/[A-Za-z0-9_-]{43}\.ics)"', made)
    assert shown is not None
    token = shown.group(1).rsplit("/", 1)[1].removesuffix(".ics")
    assert hashlib.sha256(token.encode()).hexdigest() == feed.token_sha256
    assert 'href="webcal://testserver/calendar/' in made
    assert token not in client.get(url).content.decode()  # shown once
    assert _read(token)[0] == 200

    revoked = client.post(url, {"action": "revoke"}, follow=True)

    assert "its address no longer works" in revoked.content.decode()
    assert _read(token)[0] == 404
    again = client.post(url, {"action": "revoke"})
    assert again.status_code == 422
    assert "no calendar feed to revoke" in again.content.decode()
    assert client.post(url, {"action": "other"}).status_code == 422
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 0


def test_the_account_page_links_to_the_feed_for_staff_who_see_the_schedule(
    client_for: Callable[[Role], Client],
) -> None:
    link = f'href="{reverse("notify:my-feed")}"'
    assert link in client_for(Role.FRONT_DESK).get(reverse("accounts:security")).content.decode()
    page = client_for(Role.RESEARCHER).get(reverse("accounts:security")).content.decode()
    assert link not in page


def test_the_room_feeds_page_makes_and_revokes_a_rooms_feed(
    clinic: Clinic, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("notify:room-feeds")
    room = room_of(clinic)
    page = client.get(url).content.decode()
    assert room.name in page
    assert f'href="{url}"' in client.get(reverse("administration:rooms")).content.decode()

    made = client.post(url, {"action": "create", "room": str(room.public_id)})

    assert made.status_code == 200
    assert "shown only this once" in made.content.decode()
    feed = CalendarFeed.objects.get(room=room, revoked_at__isnull=True)
    revoked = client.post(url, {"action": "revoke", "room": str(room.public_id)})
    assert revoked.status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    other = Room.objects.exclude(clinic=clinic).first()
    assert other is not None
    for data in (
        {"action": "create", "room": str(other.public_id)},
        {"action": "create", "room": "not-a-uuid"},
        {"action": "create"},
        {"action": "revoke", "room": str(room.public_id)},
    ):
        assert client.post(url, data).status_code == 422, data
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()


def test_a_retired_rooms_live_feed_is_listed_to_revoke_and_gets_no_new_one(
    clinic: Clinic, client_for: Callable[[Role], Client]
) -> None:
    room = Room.objects.create(clinic=clinic, name="Old room")
    admin = Actor.for_user(staff_of(clinic, Role.CLINIC_ADMIN), clinic)
    issue_room_feed(actor=admin, room=room, now=timezone.now())
    Room.objects.filter(pk=room.pk).update(is_active=False)
    room.refresh_from_db()
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("notify:room-feeds")
    assert "Old room" in client.get(url).content.decode()

    refused = client.post(url, {"action": "create", "room": str(room.public_id)})

    assert refused.status_code == 422
    assert "Old room is retired" in refused.content.decode()
    assert client.post(url, {"action": "revoke", "room": str(room.public_id)}).status_code == 302
    assert not CalendarFeed.objects.filter(room=room, revoked_at__isnull=True).exists()
    assert "Old room" not in client.get(url).content.decode()
