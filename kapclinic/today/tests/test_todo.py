from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.models import Clinic, Role
from kapclinic.accounts.permissions import allows
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import list_patients_missing_contacts
from kapclinic.today.aggregates import shown
from kapclinic.today.todo import BADGE_LIMIT, ITEM_LIMIT, SPECS, TodoList, count_todo, list_todo

pytestmark = pytest.mark.django_db

STAFF_ROLES = list(Role)


def _lists(client: Client) -> dict[str, TodoList]:
    response = client.get(reverse("today:today"))
    assert response.status_code == 200
    return {t.key: t for t in response.context["todo_lists"]}


def _queries(client: Client, name: str) -> int:
    client.get(reverse(name))  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name)).status_code == 200
    return len(captured.captured_queries)


def test_todays_queries_and_the_badges_do_not_grow_with_the_data_for_any_role(
    client_for: Callable[[Role], Client],
    clinics: list[Clinic],
    add_demo_patients: Callable[[int], None],
) -> None:
    clients = {role: client_for(role) for role in STAFF_ROLES}
    pages = ("today:today", "accounts:security")
    before = {(r, p): _queries(c, p) for r, c in clients.items() for p in pages}
    totals = {k: t.total for k, t in _lists(clients[Role.PRESCRIBER]).items()}
    desk = {k: t.total for k, t in _lists(clients[Role.FRONT_DESK]).items()}

    add_demo_patients(240)

    grown = {k: t.total for k, t in _lists(clients[Role.PRESCRIBER]).items()}
    grown_desk = {k: t.total for k, t in _lists(clients[Role.FRONT_DESK]).items()}
    assert grown["screenings"] > totals["screenings"]
    assert grown["consents"] > totals["consents"]
    assert grown_desk["referrals"] > desk["referrals"]
    assert grown_desk["contacts"] > desk["contacts"]
    after = {(r, p): _queries(c, p) for r, c in clients.items() for p in pages}
    print({f"{r.value} {p}": (before[r, p], after[r, p]) for r, p in before})
    assert after == before


# Issue 15: the dosing sessions' lists, first for the nurses and prescribers who run them, then
# the chairs to watch (issue 15.6).
DOSING = ["dosing_checked_in", "dosing_awaiting_dose", "dosing_ready_for_discharge", "chairs"]


@pytest.fixture
def busy(clinics: list[Clinic], add_demo_patients: Callable[[int], None]) -> list[Clinic]:
    """The demo with 400 more patients: more of every intake list than Today shows."""
    add_demo_patients(400)
    return clinics


def test_a_prescriber_is_asked_to_sign_screenings_and_countersign_consents_where_it_is_done(
    client_for: Callable[[Role], Client], busy: list[Clinic]
) -> None:
    lists = _lists(client_for(Role.PRESCRIBER))
    assert list(lists) == [
        *DOSING,
        "screenings",
        "consents",
        "safety",
        "dosing_today",
        "counts_due",
        "discrepancies",
        "dea_tasks",
        "inventories_due",
        "expiring",
        "rems_forms",
    ]
    screenings, consents = lists["screenings"], lists["consents"]
    assert screenings.total > ITEM_LIMIT
    assert len(screenings.items) == ITEM_LIMIT
    assert screenings.more == screenings.total - ITEM_LIMIT
    assert all(i.url.startswith("/screening/") for i in screenings.items)
    assert consents.items
    assert all(i.url.startswith("/consent/patients/") for i in consents.items)
    waits = [i.since for i in screenings.items]
    assert waits == sorted(w for w in waits if w is not None)  # oldest first


def test_each_role_gets_the_lists_of_its_work_only(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    assert list(_lists(client_for(Role.NURSE))) == [
        *DOSING,
        "safety",
        "questionnaires",
        "my_sessions",
        "counts_due",
        "inventories_due",
        "expiring",
        "to_prepare",  # issue 15.2: their dosing sessions to prepare
    ]
    assert list(_lists(client_for(Role.FRONT_DESK))) == [
        "check_in",
        "waitlist_offers",
        "referrals",
        "contacts",
    ]
    assert list(_lists(client_for(Role.CLINIC_ADMIN))) == [
        "escalated",
        "invitations",
        "settings",
        "dea_tasks",
        "rems_forms",
    ]
    assert list(_lists(client_for(Role.RESEARCHER))) == []


def test_no_list_reaches_a_role_without_the_capability_of_the_page_where_the_work_is_done() -> None:
    for spec in SPECS:
        assert spec.roles
        assert all(allows({role}, spec.capability) for role in spec.roles), spec.key


def test_the_front_desk_sees_the_oldest_referral_first_with_how_long_it_has_waited(
    client_for: Callable[[Role], Client], busy: list[Clinic]
) -> None:
    referrals = _lists(client_for(Role.FRONT_DESK))["referrals"]
    first = referrals.items[0]
    assert first.since == min(i.since for i in referrals.items if i.since)
    assert first.waited.startswith(("new for", "contacted for"))
    page = client_for(Role.FRONT_DESK).get(reverse("today:today")).content.decode()
    assert first.waited in page
    assert f'href="{reverse("referrals:queue")}"' in page


def test_the_badge_counts_every_item_of_the_roles_lists_and_names_it_for_screen_readers(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.PRESCRIBER)
    total = sum(t.total for t in _lists(client).values())
    assert total == count_todo(clinics[0], {Role.PRESCRIBER}, timezone.now())
    page = client.get(reverse("accounts:security")).content.decode()
    assert f'aria-label="Today, {total} to do"' in page


def test_the_badge_stops_counting_past_its_limit_and_says_so(
    client_for: Callable[[Role], Client], add_demo_patients: Callable[[int], None]
) -> None:
    """The badge is on every staff page, so it never counts a whole clinic's list: each list
    is counted up to BADGE_LIMIT + 1 rows, and past BADGE_LIMIT the badge says "99+" ("more
    than 99" to screen readers). Today's own lists still say their exact totals."""
    add_demo_patients(400)
    client = client_for(Role.FRONT_DESK)
    page = client.get(reverse("accounts:security"))
    home = page.wsgi_request.clinic  # type: ignore[attr-defined]
    missing = list_patients_missing_contacts(home).count()
    assert missing > BADGE_LIMIT + 1
    counted = count_todo(home, {Role.FRONT_DESK}, timezone.now())
    assert BADGE_LIMIT < counted <= 2 * (BADGE_LIMIT + 1)
    html = page.content.decode()
    assert f'aria-label="Today, more than {BADGE_LIMIT} to do"' in html
    assert f'<span class="nav-count" aria-hidden="true">{BADGE_LIMIT}+</span>' in html
    assert _lists(client)["contacts"].total == missing


def test_a_clinic_without_opening_hours_is_on_the_admins_list_and_in_the_count(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    home = clinics[0]
    before = count_todo(home, {Role.CLINIC_ADMIN}, timezone.now())
    home.opening_hours.all().delete()
    settings = _lists(client_for(Role.CLINIC_ADMIN))["settings"]
    assert settings.items[0].label == "Opening hours"
    assert count_todo(home, {Role.CLINIC_ADMIN}, timezone.now()) == before + 1


def test_an_empty_list_says_so_in_plain_words(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    lists = list_todo(clinics[0], {Role.CLINIC_ADMIN}, timezone.now())
    escalated = next(t for t in lists if t.key == "escalated")
    assert escalated.total == 0
    page = client_for(Role.CLINIC_ADMIN).get(reverse("today:today")).content.decode()
    assert escalated.empty in page


def test_a_researcher_sees_aggregates_and_never_a_name_or_record_number(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.RESEARCHER)
    today = client.get(reverse("today:today")).content.decode()
    response = client.get(reverse("today:aggregates"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Signed eligibility decisions by outcome" in page
    for patient in Patient.objects.filter(clinic=clinics[0]):
        for text in (today, page):
            assert patient.full_name not in text
            assert f"{patient.family_name}, {patient.given_name}" not in text
            assert patient.mrn not in text


def test_small_counts_are_published_as_fewer_than_five() -> None:
    assert [shown(n) for n in (0, 1, 4, 5, 120)] == ["0", *["fewer than 5"] * 2, "5", "120"]
