from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role
from kapclinic.patients import selectors
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import PAGE_SIZE

pytestmark = pytest.mark.django_db


def test_the_patient_list_shows_only_the_current_clinics_patients(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    home, other = clinics
    response = client_for(Role.FRONT_DESK).get(reverse("patients:list"))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == Patient.objects.filter(clinic=home).count()
    assert all(p.clinic_id == home.pk for p in page.object_list)
    html = response.content.decode()
    for patient in Patient.objects.filter(clinic=other):
        assert patient.mrn not in html


def test_the_patient_list_is_paginated_alphabetically(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.NURSE)
    first = client.get(reverse("patients:list")).context["page"]
    assert len(first.object_list) == PAGE_SIZE
    names = [(p.family_name, p.given_name) for p in first.object_list]
    assert names == sorted(names)
    second = client.get(reverse("patients:list"), {"page": "2"}).context["page"]
    assert {p.pk for p in second.object_list}.isdisjoint({p.pk for p in first.object_list})


@pytest.mark.parametrize("page", ["999", "abc", "-1"])
def test_an_impossible_page_number_shows_a_real_page(
    client_for: Callable[[Role], Client], page: str
) -> None:
    response = client_for(Role.NURSE).get(reverse("patients:list"), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].object_list


def test_the_patient_list_query_count_is_constant(
    client_for: Callable[[Role], Client], add_demo_patients: Callable[[int], None]
) -> None:
    client = client_for(Role.NURSE)
    url = reverse("patients:list")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add_demo_patients(60)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_list_stops_counting_past_its_bound_and_still_reaches_every_page(
    client_for: Callable[[Role], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list is every user's way in: it counts no further than LIST_COUNT_BOUND rows on
    each view ("More than ... patients"), and a page past the bound counts them all, so that
    every page, the last one included, is still reached."""
    monkeypatch.setattr(selectors, "LIST_COUNT_BOUND", PAGE_SIZE)
    client = client_for(Role.FRONT_DESK)
    url = reverse("patients:list")
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url)
    home = first.wsgi_request.clinic  # type: ignore[attr-defined]
    total = Patient.objects.filter(clinic=home, merged_into=None).count()
    assert total > PAGE_SIZE + 1
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert any(f"LIMIT {PAGE_SIZE + 1}" in sql for sql in counts), counts
    html = " ".join(first.content.decode().split())
    assert f"More than {PAGE_SIZE} patients, alphabetical" in html
    assert "Page 1 of more than 1" in html
    assert 'href="?page=2"' in html

    pages = -(-total // PAGE_SIZE)
    second = client.get(url, {"page": "2"})
    assert f"Page 2 of {pages}" in " ".join(second.content.decode().split())
    assert f"{total} patients, alphabetical" in second.content.decode()
    last = client.get(url, {"page": "999"}).context["page"]
    assert last.number == pages
    assert len(last.object_list) == total - (pages - 1) * PAGE_SIZE


def test_the_api_still_says_how_many_patients_in_all(
    client_for: Callable[[Role], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "LIST_COUNT_BOUND", PAGE_SIZE)
    response = client_for(Role.FRONT_DESK).get("/api/v1/patients")
    assert response.status_code == 200
    home = response.wsgi_request.clinic  # type: ignore[attr-defined]
    assert response.json()["count"] == Patient.objects.filter(clinic=home).count()
