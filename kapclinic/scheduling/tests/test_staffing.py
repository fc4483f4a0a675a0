"""Staff availability (issue 13.5): working hours per clinic (on site or remote), leave, and the
on-site prescriber coverage that follows; the admin's pages and each person's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import StaffLeave, WorkingHours
from kapclinic.scheduling.staffing.selectors import (
    Cover,
    list_staff_availability,
    prescriber_coverage,
    staff_availability,
)
from kapclinic.scheduling.staffing.services import (
    record_leave,
    remove_leave,
    set_working_hours,
)

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 1)  # a Monday
WEEK = [(0, time(9), time(13), True), (0, time(14), time(17), True), (2, time(9), time(17), False)]


@pytest.fixture
def home(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def admin(demo_user: Callable[[Role], User], home: Clinic) -> Actor:
    return Actor.for_user(demo_user(Role.CLINIC_ADMIN), home)


@pytest.fixture
def prescriber(demo_user: Callable[[Role], User]) -> User:
    user = demo_user(Role.PRESCRIBER)
    WorkingHours.objects.filter(user=user).delete()
    StaffLeave.objects.filter(user=user).delete()
    return user


def _audited(action: SchedulingAuditAction) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_an_admin_sets_working_hours_once_and_the_change_is_audited(
    admin: Actor, home: Clinic, prescriber: User
) -> None:
    before = _audited(SchedulingAuditAction.WORKING_HOURS_CHANGED)
    assert set_working_hours(actor=admin, clinic=home, user=prescriber, hours=WEEK)
    stored = WorkingHours.objects.filter(clinic=home, user=prescriber)
    assert sorted((h.weekday, h.starts_at, h.ends_at, h.on_site) for h in stored) == WEEK
    assert _audited(SchedulingAuditAction.WORKING_HOURS_CHANGED) == before + 1
    # The same hours again change nothing and audit nothing.
    assert not set_working_hours(actor=admin, clinic=home, user=prescriber, hours=WEEK)
    assert _audited(SchedulingAuditAction.WORKING_HOURS_CHANGED) == before + 1
    entry = AuditEvent.objects.filter(action=SchedulingAuditAction.WORKING_HOURS_CHANGED).last()
    assert entry is not None
    assert "Wednesday 09:00-17:00 (remote)" in str(entry.changes)


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        ([(0, time(9), time(13), True), (0, time(12), time(15), True)], "overlap"),
        ([(0, time(13), time(9), True)], "end must be after"),
        ([(7, time(9), time(13), True)], "day of the week"),
    ],
)
def test_overlapping_backwards_or_dayless_hours_are_refused_and_nothing_is_written(
    admin: Actor,
    home: Clinic,
    prescriber: User,
    hours: list[tuple[int, time, time, bool]],
    words: str,
) -> None:
    with pytest.raises(SchedulingError, match=words):
        set_working_hours(actor=admin, clinic=home, user=prescriber, hours=hours)
    assert not WorkingHours.objects.filter(user=prescriber).exists()


def test_only_a_clinic_admin_of_the_clinic_changes_hours_of_its_staff(
    demo_user: Callable[[Role], User], admin: Actor, clinics: list[Clinic], prescriber: User
) -> None:
    nurse = Actor.for_user(demo_user(Role.NURSE), clinics[0])
    with pytest.raises(SchedulingError, match="Only a clinic admin"):
        set_working_hours(actor=nurse, clinic=clinics[0], user=prescriber, hours=WEEK)
    stranger = demo_user(Role.THERAPIST)  # works in the first clinic only
    with pytest.raises(SchedulingError, match="no current role"):
        set_working_hours(
            actor=admin.in_clinic(clinics[1]), clinic=clinics[1], user=stranger, hours=WEEK
        )
    assert not WorkingHours.objects.filter(user__in=[prescriber, stranger]).exists()


def test_leave_is_recorded_checked_and_removed_with_audit_entries(
    admin: Actor, home: Clinic, prescriber: User
) -> None:
    leave = record_leave(
        actor=admin,
        clinic=home,
        user=prescriber,
        first_day=date(2027, 3, 2),
        last_day=date(2027, 3, 5),
        note="Annual leave",
        today=TODAY,
    )
    assert leave.recorded_by == admin.user
    assert _audited(SchedulingAuditAction.LEAVE_RECORDED) >= 1
    for first, last, note, words in (
        (date(2027, 3, 5), date(2027, 3, 2), "", "before the first"),
        (date(2025, 1, 1), date(2025, 1, 2), "", "a year ago"),
        (date(2027, 3, 5), date(2030, 3, 2), "", "two years ahead"),
        (date(2027, 3, 5), date(2027, 3, 6), "x" * 201, "under 200"),
    ):
        with pytest.raises(SchedulingError, match=words):
            record_leave(
                actor=admin,
                clinic=home,
                user=prescriber,
                first_day=first,
                last_day=last,
                note=note,
                today=TODAY,
            )
    assert StaffLeave.objects.filter(user=prescriber).count() == 1
    remove_leave(actor=admin, clinic=home, leave=leave)
    assert not StaffLeave.objects.filter(user=prescriber).exists()
    assert _audited(SchedulingAuditAction.LEAVE_REMOVED) >= 1


def test_coverage_is_the_prescribers_on_site_hours_less_their_leave(
    admin: Actor, home: Clinic, prescriber: User, demo_user: Callable[[Role], User]
) -> None:
    set_working_hours(actor=admin, clinic=home, user=prescriber, hours=WEEK)
    cover = prescriber_coverage(home, TODAY, date(2027, 3, 10))
    name = prescriber.display_name
    assert cover[TODAY] == [Cover(time(9), time(13), (name,)), Cover(time(14), time(17), (name,))]
    assert cover[date(2027, 3, 3)] == []  # Wednesday: remote, not on site
    assert cover[date(2027, 3, 2)] == []  # Tuesday: not working
    record_leave(
        actor=admin,
        clinic=home,
        user=prescriber,
        first_day=date(2027, 3, 8),
        last_day=date(2027, 3, 8),
        note="",
        today=TODAY,
    )
    assert prescriber_coverage(home, date(2027, 3, 8), date(2027, 3, 8))[date(2027, 3, 8)] == []


def test_two_prescribers_overlapping_make_one_stretch_naming_both(
    admin: Actor, home: Clinic, prescriber: User
) -> None:
    other = (
        User.objects.filter(
            memberships__clinic=home, memberships__role=Role.PRESCRIBER, memberships__is_active=True
        )
        .exclude(pk=prescriber.pk)
        .first()
    )
    assert other is not None
    WorkingHours.objects.filter(user=other).delete()
    set_working_hours(
        actor=admin, clinic=home, user=prescriber, hours=[(0, time(9), time(13), True)]
    )
    set_working_hours(actor=admin, clinic=home, user=other, hours=[(0, time(12), time(18), True)])
    [stretch] = prescriber_coverage(home, TODAY, TODAY)[TODAY]
    assert (stretch.starts_at, stretch.ends_at) == (time(9), time(18))
    assert set(stretch.names) == {prescriber.display_name, other.display_name}


def test_the_lists_read_hours_and_leave_of_everyone_but_researchers(
    admin: Actor, home: Clinic, prescriber: User
) -> None:
    set_working_hours(actor=admin, clinic=home, user=prescriber, hours=WEEK)
    rows = list_staff_availability(home, TODAY)
    mine = next(r for r in rows if r.user == prescriber)
    assert len(mine.hours_on(0)) == 2
    assert all("Researcher" not in r.roles for r in rows)
    own = staff_availability(home, prescriber, TODAY)
    assert own.roles == ["Prescriber"]
    assert len(own.hours) == 3


# --- pages -----------------------------------------------------------------------------------


def test_the_admin_edits_hours_on_the_page_and_bad_times_write_nothing(
    client_for: Callable[[Role], Client], prescriber: User
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("calendar:availability-edit", args=[prescriber.public_id])
    assert prescriber.display_name in client.get(reverse("calendar:availability")).content.decode()
    assert client.get(url).status_code == 200
    bad = client.post(url, {"starts_0_1": "09:00", "ends_0_1": "08:00"})
    assert bad.status_code == 422
    assert "The end must be after the start." in bad.content.decode()
    half = client.post(url, {"starts_0_1": "09:00"})
    assert half.status_code == 422
    assert "Give both times." in half.content.decode()
    clash = client.post(
        url,
        {"starts_0_1": "09:00", "ends_0_1": "13:00", "starts_0_2": "12:00", "ends_0_2": "15:00"},
    )
    assert clash.status_code == 422
    assert "overlap" in clash.content.decode()
    assert not WorkingHours.objects.filter(user=prescriber).exists()
    saved = client.post(url, {"starts_0_1": "09:00", "ends_0_1": "13:00", "remote_0_1": "on"})
    assert saved.status_code == 302
    [hours] = WorkingHours.objects.filter(user=prescriber)
    assert (hours.weekday, hours.on_site) == (0, False)
    again = client.post(url, {"starts_0_1": "09:00", "ends_0_1": "13:00", "remote_0_1": "on"})
    assert again.status_code == 302


def test_the_admin_records_and_removes_leave_on_the_page(
    client_for: Callable[[Role], Client], prescriber: User, home: Clinic
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("calendar:leave-add", args=[prescriber.public_id])
    today = home.local_today()
    bad = client.post(url, {"first_day": f"{today:%Y-%m-%d}", "last_day": "2020-01-01"})
    assert bad.status_code == 422
    assert "cannot be before the first" in bad.content.decode()
    far = client.post(url, {"first_day": "2000-01-01", "last_day": "2000-01-02"})
    assert far.status_code == 422
    assert "a year ago" in far.content.decode()
    assert not StaffLeave.objects.filter(user=prescriber).exists()
    ok = client.post(url, {"first_day": f"{today:%Y-%m-%d}", "last_day": f"{today:%Y-%m-%d}"})
    assert ok.status_code == 302
    leave = StaffLeave.objects.get(user=prescriber)
    removed = client.post(reverse("calendar:leave-remove", args=[leave.public_id]))
    assert removed.status_code == 302
    assert not StaffLeave.objects.filter(user=prescriber).exists()


def test_staff_see_their_own_hours_and_only_admins_edit(
    client_for: Callable[[Role], Client], prescriber: User, home: Clinic
) -> None:
    WorkingHours.objects.create(
        clinic=home, user=prescriber, weekday=4, starts_at=time(8), ends_at=time(12)
    )
    own = client_for(Role.PRESCRIBER).get(reverse("calendar:my-availability"))
    assert own.status_code == 200
    assert "08:00–12:00" in own.content.decode()
    nurse = client_for(Role.NURSE)
    assert nurse.get(reverse("calendar:availability")).status_code == 403
    edit = reverse("calendar:availability-edit", args=[prescriber.public_id])
    assert nurse.post(edit, {"starts_0_1": "09:00", "ends_0_1": "13:00"}).status_code == 403
    assert WorkingHours.objects.filter(user=prescriber).count() == 1


def test_someone_of_another_clinic_answers_404_on_the_admin_pages(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    outsider = (
        User.objects.filter(memberships__clinic=clinics[1])
        .exclude(memberships__clinic=clinics[0])
        .first()
    )
    assert outsider is not None
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("calendar:availability-edit", args=[outsider.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"starts_0_1": "09:00", "ends_0_1": "13:00"}).status_code == 404
    assert not WorkingHours.objects.filter(user=outsider).exists()
