"""POST /api/v1/patients/{id}/questionnaire-responses: score and store in one request; GET
.../questionnaires-due and answering one of them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import Assessment, Assignment, SafetyTask
from kapclinic.measurement.plans.services import enrol, ensure_default_plan, send_link
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def _post(
    client: Client, patient: Patient, body: Mapping[str, object]
) -> tuple[int, dict[str, object]]:
    response = client.post(
        f"/api/v1/patients/{patient.public_id}/questionnaire-responses",
        data=json.dumps(body),
        content_type="application/json",
    )
    return response.status_code, response.json()


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def test_a_complete_response_is_scored_stored_and_raises_its_alerts(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    answers = {f"phq9_{n}": 2 for n in range(1, 10)}  # 18, item 9 = 2
    status, body = _post(
        client_for(Role.NURSE), patient, {"instrument": "phq9", "answers": answers}
    )
    assert status == 201
    assert (body["total"], body["band"], body["urgent_alerts"]) == (18, "moderately_severe", 1)
    stored = Assessment.objects.get(patient=patient)
    assert stored.answers == answers
    assert SafetyTask.objects.filter(assessment=stored, severity="urgent").count() == 1


@pytest.mark.parametrize(
    ("body", "message", "fields"),
    [
        (
            {"instrument": "phq9", "answers": {"phq9_1": 1}},
            "Please answer every question",
            [f"answers.phq9_{n}" for n in range(2, 10)],
        ),
        ({"instrument": "nope", "answers": {}}, "nope", ["instrument"]),
        ({"instrument": "", "answers": {}}, "instrument: String should have", ["instrument"]),
        ({"answers": {}}, "instrument: Field required", ["instrument"]),
        ({"instrument": "gad7", "answers": {"gad7_1": 9}}, "not one of its answers", []),
        ({"instrument": "gad7", "answers": {"gad7_1": "x"}}, "answers.gad7_1:", ["answers.gad7_1"]),
        ({"instrument": "gad7", "occasion": "someday", "answers": {}}, "occasion:", ["occasion"]),
        ({"instrument": "gad7", "answers": {}, "assignment": "7"}, "valid UUID", ["assignment"]),
    ],
)
def test_a_refused_response_says_why_and_stores_nothing(
    patient: Patient,
    client_for: Callable[[Role], Client],
    body: dict[str, object],
    message: str,
    fields: list[str],
) -> None:
    status, answer = _post(client_for(Role.NURSE), patient, body)
    assert status == 422
    assert set(answer) == {"detail", "errors"}
    assert message in str(answer["detail"])
    errors = answer["errors"]
    assert isinstance(errors, list)
    assert [e["field"] for e in errors] == fields
    assert not Assessment.objects.filter(patient=patient).exists()


def test_another_clinics_patient_is_not_found(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    other = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    status, _ = _post(client_for(Role.NURSE), other, {"instrument": "gad7", "answers": {}})
    assert status == 404


PHQ9_NO_ALERT = {f"phq9_{n}": 1 for n in range(1, 9)} | {"phq9_9": 0}


def test_a_posted_response_is_audited_once_with_what_was_recorded(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    before = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0

    status, body = _post(
        client_for(Role.NURSE),
        patient,
        {"instrument": "phq9", "occasion": "pre_session", "answers": PHQ9_NO_ALERT},
    )

    assert status == 201
    entries = list(AuditEvent.objects.filter(id__gt=before))
    assert [e.action for e in entries] == ["measurement.recorded"]
    entry = entries[0]
    stored = Assessment.objects.get(patient=patient)
    assert entry.patient_public_id == patient.public_id
    assert entry.target == f"measurement.Assessment:{stored.public_id}"
    assert entry.actor_roles == "nurse"
    assert entry.detail["total"] == stored.total == body["total"] == 8
    assert stored.status == Assessment.Status.COMPLETED
    assert stored.occasion == "pre_session"
    assert stored.completed_at is not None


def test_an_instrument_without_its_licensed_texts_is_refused(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    answers = {f"madrs_{n}": 0 for n in range(1, 11)}
    status, answer = _post(
        client_for(Role.NURSE), patient, {"instrument": "madrs", "answers": answers}
    )
    assert status == 422
    assert "its wording is not loaded in this clinic" in str(answer["detail"])
    assert not Assessment.objects.filter(patient=patient).exists()


def test_the_number_of_queries_does_not_grow_with_the_patients_history(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.NURSE)
    body: dict[str, object] = {"instrument": "phq9", "answers": PHQ9_NO_ALERT}
    _post(client, patient, body)  # the session and anything cached per process are warm
    with CaptureQueriesContext(connection) as first:
        assert _post(client, patient, body)[0] == 201
    for _ in range(5):
        _post(client, patient, body)
    with CaptureQueriesContext(connection) as later:
        assert _post(client, patient, body)[0] == 201
    assert len(later) == len(first), [q["sql"] for q in later.captured_queries]


def _enrolled(patient: Patient, nurse: User) -> None:
    """Enrolled with a course starting in two days: its baseline PHQ-9 and GAD-7 are due now."""
    plan = ensure_default_plan(clinic=patient.clinic)
    starts_on = timezone.localdate() + timedelta(days=2)
    enrol(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        plan=plan,
        starts_on=starts_on,
    )


def test_a_tablet_lists_whats_due_and_answering_it_takes_it_off_the_worklist(
    patient: Patient, client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    _enrolled(patient, demo_user(Role.NURSE))
    client = client_for(Role.NURSE)
    due = client.get(f"/api/v1/patients/{patient.public_id}/questionnaires-due").json()
    assert due["more"] is False
    assert sorted((i["instrument"], i["occasion"], i["state"]) for i in due["items"]) == [
        ("gad7", "baseline", "due"),
        ("phq9", "baseline", "due"),
    ]
    phq9 = next(i for i in due["items"] if i["instrument"] == "phq9")
    answers = {f"phq9_{n}": 1 for n in range(1, 10)}

    status, body = _post(
        client, patient, {"instrument": "phq9", "answers": answers, "assignment": phq9["id"]}
    )

    assert (status, body["total"]) == (201, 9)
    assignment = Assignment.objects.get(public_id=phq9["id"])
    assert assignment.status == Assignment.Status.COMPLETED
    assert assignment.assessment is not None
    assert str(assignment.assessment.public_id) == body["id"]
    assert assignment.assessment.occasion == "baseline"
    left = client.get(f"/api/v1/patients/{patient.public_id}/questionnaires-due").json()
    assert [i["instrument"] for i in left["items"]] == ["gad7"]
    # Answering it again is refused, and nothing more is stored.
    status, again = _post(
        client, patient, {"instrument": "phq9", "answers": answers, "assignment": phq9["id"]}
    )
    assert status == 422
    assert "No open questionnaire with that assignment id" in str(again["detail"])
    assert Assessment.objects.filter(patient=patient, instrument_code="phq9").count() == 1


def test_an_assignment_for_another_instrument_or_occasion_is_refused(
    patient: Patient, client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    _enrolled(patient, demo_user(Role.NURSE))
    gad7 = Assignment.objects.get(patient=patient, instrument_code="gad7")
    client = client_for(Role.NURSE)
    answers = {f"phq9_{n}": 0 for n in range(1, 10)}
    wrong_instrument = {"instrument": "phq9", "answers": answers, "assignment": str(gad7.public_id)}
    status, body = _post(client, patient, wrong_instrument)
    assert status == 422
    assert "No open questionnaire" in str(body["detail"])
    wrong_occasion = {
        "instrument": "gad7",
        "occasion": "pre_session",
        "answers": {f"gad7_{n}": 0 for n in range(1, 8)},
        "assignment": str(gad7.public_id),
    }
    status, body = _post(client, patient, wrong_occasion)
    assert status == 422
    assert "The assignment is for the occasion 'baseline'" in str(body["detail"])
    assert not Assessment.objects.filter(patient=patient).exists()
    gad7.refresh_from_db()
    assert gad7.status == Assignment.Status.OPEN


def test_another_clinics_patients_due_list_is_not_found(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    other = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    response = client_for(Role.NURSE).get(f"/api/v1/patients/{other.public_id}/questionnaires-due")
    assert response.status_code == 404


def test_another_patients_assignment_is_refused(
    clinics: list[Clinic], client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    mine, theirs = Patient.objects.filter(clinic=clinics[0], merged_into=None).order_by("id")[:2]
    _enrolled(theirs, demo_user(Role.NURSE))
    their_phq9 = Assignment.objects.get(patient=theirs, instrument_code="phq9")
    answers = {f"phq9_{n}": 0 for n in range(1, 10)}
    body = {"instrument": "phq9", "answers": answers, "assignment": str(their_phq9.public_id)}

    status, refused = _post(client_for(Role.NURSE), mine, body)

    assert status == 422
    assert "No open questionnaire" in str(refused["detail"])
    assert not Assessment.objects.filter(patient__in=[mine, theirs]).exists()


def test_answering_an_assignment_whose_link_was_sent_completes_that_response(
    patient: Patient, client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    nurse = demo_user(Role.NURSE)
    Patient.objects.filter(pk=patient.pk).update(email="pat.example@example.org")
    _enrolled(patient, nurse)
    gad7 = Assignment.objects.get(patient=patient, instrument_code="gad7")
    send_link(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        assignment=gad7,
        now=timezone.now(),
        link_for=lambda token: f"https://kap.example.org/q/{token}/",
    )
    gad7.refresh_from_db()
    sent = gad7.assessment
    assert sent is not None
    client = client_for(Role.NURSE)
    due = client.get(f"/api/v1/patients/{patient.public_id}/questionnaires-due").json()
    assert {i["instrument"]: i["started"] for i in due["items"]} == {"gad7": True, "phq9": False}

    status, body = _post(
        client,
        patient,
        {
            "instrument": "gad7",
            "answers": {f"gad7_{n}": 1 for n in range(1, 8)},
            "assignment": str(gad7.public_id),
        },
    )

    assert (status, body["id"], body["total"]) == (201, str(sent.public_id), 7)
    gad7.refresh_from_db()
    assert (gad7.status, gad7.assessment) == (Assignment.Status.COMPLETED, sent)
    assert Assessment.objects.filter(patient=patient, instrument_code="gad7").count() == 1
