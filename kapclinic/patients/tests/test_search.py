from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.models import Patient
from kapclinic.patients.search import PatientQuery, fold, read_query, search_key


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Zoë", "zoe"),
        ("NGUYỄN", "nguyen"),
        ("O'Brien", "o brien"),
        ("Søren", "soren"),
        ("Wiśniewski", "wisniewski"),
        ("Ben-David", "ben david"),
        ("  Łukasz  ", "lukasz"),
    ],
)
def test_fold_removes_accents_case_and_punctuation(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_search_key_pads_words_for_prefix_matching() -> None:
    assert search_key("Zoë", "Van der Berg") == " zoe van der berg "


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("1980-03-14", PatientQuery(birth_date=date(1980, 3, 14))),
        ("03/14/1980", PatientQuery(birth_date=date(1980, 3, 14))),
        ("bos-000123", PatientQuery(mrn="BOS-000123")),
        ("555-201", PatientQuery(phone="555201")),
        ("(555) 201 3344", PatientQuery(phone="5552013344")),
        ("José  garcía", PatientQuery(name_words=("jose", "garcia"))),
        ("2026-02-31", PatientQuery(phone="20260231")),  # not a date: read as digits, no crash
        ("", PatientQuery()),
    ],
)
def test_read_query_recognises_dates_mrns_phones_and_names(text: str, query: PatientQuery) -> None:
    assert read_query(text) == query


@pytest.fixture
def nurse(client_for: Callable[[Role], Client]) -> Client:
    return client_for(Role.NURSE)


def _found(client: Client, q: str, page: str = "") -> list[Patient]:
    response = client.post(reverse("patients:search"), {"q": q, "page": page})
    assert response.status_code == 200
    return list(response.context["page"].object_list)


@pytest.mark.django_db
def test_name_search_ignores_accents_and_case_and_matches_word_starts(
    nurse: Client, clinics: list[Clinic], new_patient: Callable[..., Patient]
) -> None:
    home = clinics[0]
    zoe = new_patient(home, given_name="Zoë", family_name="Nguyễn")
    assert zoe in _found(nurse, "zoe")
    assert zoe in _found(nurse, "NGUY")
    assert zoe in _found(nurse, "nguyen zo")
    assert zoe not in _found(nurse, "guyen")  # not the start of a word
    assert zoe not in _found(nurse, "zoe smith")  # every word must match


@pytest.mark.django_db
def test_search_by_birth_date_mrn_and_phone(nurse: Client, clinics: list[Clinic]) -> None:
    patient = Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]
    assert patient in _found(nurse, patient.birth_date.isoformat())
    assert patient in _found(nurse, patient.birth_date.strftime("%m/%d/%Y"))
    assert _found(nurse, patient.mrn.lower()) == [patient]
    assert patient in _found(nurse, patient.phone[-8:])


@pytest.mark.django_db
def test_search_never_returns_another_clinics_patients(
    nurse: Client, clinics: list[Clinic]
) -> None:
    stranger = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    for q in [stranger.family_name, stranger.mrn, stranger.birth_date.isoformat(), stranger.phone]:
        assert stranger not in _found(nurse, q)


@pytest.mark.django_db
def test_a_search_is_audited_with_the_patients_shown_but_not_the_text(
    nurse: Client, clinics: list[Clinic]
) -> None:
    patient = Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]
    shown = _found(nurse, patient.family_name)
    event = AuditEvent.objects.get(action="patients.searched")
    assert event.operation == Operation.SEARCH
    assert event.detail["patients"] == [str(p.public_id) for p in shown]
    assert patient.family_name not in str(event.detail)


@pytest.mark.django_db
def test_search_answers_htmx_with_results_and_pages_by_post(
    nurse: Client, clinics: list[Clinic]
) -> None:
    response = nurse.post(
        reverse("patients:search"), {"q": "a", "page": "2"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="patient-results"' in response.content.decode()
    assert response.context["page"].number in {1, 2}
    assert "q=" not in response.content.decode()  # paging never puts the text in a URL


@pytest.mark.django_db
def test_an_empty_or_silly_query_shows_the_list_without_error(nurse: Client, demo: object) -> None:
    assert _found(nurse, "")
    assert _found(nurse, "   ") == _found(nurse, "")
    assert _found(nurse, "%_%") == _found(nurse, "")  # punctuation alone is no query
    assert _found(nurse, "x" * 500) == []


def _matches(client: Client, q: str) -> int:
    response = client.post(reverse("patients:search"), {"q": q})
    assert response.status_code == 200
    count: int = response.context["page"].paginator.count
    return count


@pytest.mark.django_db
def test_search_query_count_is_constant(
    nurse: Client, add_demo_patients: Callable[[int], None]
) -> None:
    _found(nurse, "a")  # warm-up: the first request of a session also records its activity
    with CaptureQueriesContext(connection) as few:
        before = _matches(nurse, "a")
    add_demo_patients(60)
    with CaptureQueriesContext(connection) as many:
        after = _matches(nurse, "a")
    assert after > before
    assert len(many.captured_queries) == len(few.captured_queries)
