"""A clinic's rooms, opening hours, details and limits, changed by its admins in the app
(issue 10: no longer in the Django admin site): audited, scoped to the clinic, bad input
answered with messages and nothing saved."""

from __future__ import annotations

from datetime import time

from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, OpeningHours, Role, Room, User
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent


def _admin_client(clinic: Clinic) -> tuple[Client, User]:
    admin = staff_of(clinic, Role.CLINIC_ADMIN)
    client = Client()
    client.force_login(admin)
    return client, admin


ROOM = {
    "name": "Willow",
    "kind": Room.Kind.TREATMENT,
    "capacity": "1",
    "has_recliner": "on",
    "has_eye_masks_and_headphones": "on",
    "has_bp_monitor": "on",
    "has_pulse_oximeter": "on",
    "notes": "",
    "is_active": "on",
}


def test_an_admin_adds_a_room_and_retires_it_later(clinics: list[Clinic]) -> None:
    home = clinics[0]
    client, admin = _admin_client(home)
    response = client.post(reverse("administration:room-add"), ROOM)
    assert response.status_code == 302
    room = Room.objects.get(clinic=home, name="Willow")
    assert room.can_monitor_dosing
    added = AuditEvent.objects.get(action="clinic.room_added")
    assert added.actor == admin
    assert added.target == f"accounts.Room:{room.public_id}"
    retired = {**ROOM}
    del retired["is_active"]
    client.post(reverse("administration:room-edit", args=[room.public_id]), retired)
    room.refresh_from_db()
    assert not room.is_active
    changed = AuditEvent.objects.get(action="clinic.room_changed")
    assert changed.changes == {"is_active": [True, False]}
    page = client.get(reverse("administration:rooms")).content.decode()
    assert "No (retired)" in page


def test_a_bad_room_is_refused_with_messages_and_nothing_is_saved(clinics: list[Clinic]) -> None:
    home = clinics[0]
    client, _admin = _admin_client(home)
    existing = Room.objects.filter(clinic=home).order_by("pk")[0]
    rooms = Room.objects.count()
    zero = client.post(reverse("administration:room-add"), {**ROOM, "capacity": "0"})
    assert zero.status_code == 422
    assert "A room holds 1 to 20 patients." in zero.content.decode()
    twice = client.post(reverse("administration:room-add"), {**ROOM, "name": existing.name})
    assert twice.status_code == 422
    assert Room.objects.count() == rooms
    assert not AuditEvent.objects.filter(action__startswith="clinic.room").exists()


def test_another_clinics_room_is_not_found(clinics: list[Clinic]) -> None:
    home, other = clinics
    client, _admin = _admin_client(home)
    theirs = Room.objects.filter(clinic=other).order_by("pk")[0]
    url = reverse("administration:room-edit", args=[theirs.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {**ROOM, "name": "Taken over"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name != "Taken over"


def test_an_admin_changes_the_clinics_limits_within_their_ranges(clinics: list[Clinic]) -> None:
    home = clinics[0]
    client, admin = _admin_client(home)
    form = client.get(reverse("administration:settings"))
    assert form.status_code == 200
    values = {
        field: getattr(home, field)
        for field in (
            "name",
            "address_line",
            "city",
            "region",
            "postal_code",
            "phone",
            "time_zone",
            "break_glass_minutes",
            "safety_escalation_minutes",
            "questionnaire_missed_after_days",
        )
    }
    too_long = client.post(
        reverse("administration:settings"), {**values, "idle_timeout_minutes": "600"}
    )
    assert too_long.status_code == 422
    assert "Enter a number from 1 to 240." in too_long.content.decode()
    bad_zone = client.post(
        reverse("administration:settings"),
        {**values, "idle_timeout_minutes": "10", "time_zone": "Mars/Olympus"},
    )
    assert bad_zone.status_code == 422
    home.refresh_from_db()
    assert home.idle_timeout_minutes == 15
    done = client.post(reverse("administration:settings"), {**values, "idle_timeout_minutes": "10"})
    assert done.status_code == 302
    home.refresh_from_db()
    assert home.idle_timeout_minutes == 10
    event = AuditEvent.objects.get(action="clinic.updated")
    assert event.changes == {"idle_timeout_minutes": [15, 10]}
    assert event.actor == admin


def test_opening_hours_are_replaced_by_the_week_the_admin_enters(clinics: list[Clinic]) -> None:
    home = clinics[0]
    client, _admin = _admin_client(home)
    page = client.get(reverse("administration:hours"))
    assert page.status_code == 200
    week = {
        "opens_0_1": "08:00",
        "closes_0_1": "12:00",
        "opens_0_2": "13:00",
        "closes_0_2": "18:30",
        "opens_2_1": "09:00",
        "closes_2_1": "17:00",
    }
    backwards = client.post(
        reverse("administration:hours"), {**week, "opens_4_1": "17:00", "closes_4_1": "09:00"}
    )
    assert backwards.status_code == 422
    assert "Closing time must be after the opening time." in backwards.content.decode()
    half = client.post(reverse("administration:hours"), {**week, "opens_5_1": "09:00"})
    assert half.status_code == 422
    overlap = client.post(
        reverse("administration:hours"), {**week, "opens_0_2": "11:00", "closes_0_2": "14:00"}
    )
    assert overlap.status_code == 422
    assert "overlap on Monday" in overlap.content.decode()
    assert not AuditEvent.objects.filter(action="clinic.hours_changed").exists()
    assert client.post(reverse("administration:hours"), week).status_code == 302
    saved = list(
        OpeningHours.objects.filter(clinic=home).values_list("weekday", "opens_at", "closes_at")
    )
    assert sorted(saved) == [
        (0, time(8), time(12)),
        (0, time(13), time(18, 30)),
        (2, time(9), time(17)),
    ]
    event = AuditEvent.objects.get(action="clinic.hours_changed")
    assert event.changes["opening_hours"][1] == [
        "Monday 08:00-12:00",
        "Monday 13:00-18:30",
        "Wednesday 09:00-17:00",
    ]
