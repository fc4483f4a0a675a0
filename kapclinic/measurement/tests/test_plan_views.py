"""Measurement-plan pages: the worklist (order, constant queries, actions), enrolment from the
chart, the chart's due list and the Today counts, at given times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.measurement.models import Assessment, Assignment, PlanEnrolment
from kapclinic.measurement.plans.links import send_due_links
from kapclinic.measurement.plans.selectors import count_due
from kapclinic.measurement.plans.services import enrol, ensure_default_plan, on_session_scheduled
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
NURSE = (Role.NURSE,)
START = date(2026, 12, 1)
# Two days before the course starts: the baseline questionnaires are due, not yet overdue.
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _patients(clinic: Clinic, n: int) -> list[Patient]:
    return list(Patient.objects.filter(clinic=clinic, merged_into=None).order_by("id")[:n])


def _enrol(patients: list[Patient], nurse: User, starts_on: date = START) -> None:
    for patient in patients:
        plan = ensure_default_plan(clinic=patient.clinic)
        enrol(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            patient=patient,
            plan=plan,
            starts_on=starts_on,
        )


def _soon() -> date:
    """A course start two days ahead of the real clock, for requests (a signed-in session does
    not survive travelling in time): its baseline questionnaires are due now, not overdue."""
    return timezone.localdate() + timedelta(days=2)


@pytest.fixture
def nurse(demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.NURSE)


@pytest.fixture
def nurse_client(client_for: Callable[[Role], Client]) -> Client:
    return client_for(Role.NURSE)


def test_the_worklist_lists_overdue_first_then_due(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    first, second = _patients(clinics[0], 2)
    _enrol([first, second], nurse, _soon())
    # The second patient's session started an hour ago: its questionnaires are overdue.
    started = timezone.now() - timedelta(hours=1)
    on_session_scheduled(patient=second, session_ref=uuid4(), starts_at=started)
    response = nurse_client.get(reverse("measurement:worklist"))
    assert response.status_code == 200
    rows = response.context["rows"]
    states = [r.state for r in rows]
    assert states == [Assignment.State.OVERDUE] * 3 + [Assignment.State.DUE] * 4
    assert {r.assignment.patient for r in rows[:3]} == {second}
    html = response.content.decode()
    assert "Send link" in html
    assert "Start in clinic" in html


def test_the_worklist_runs_the_same_queries_for_one_row_or_a_full_page(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    patients = _patients(clinics[0], 14)
    _enrol(patients[:1], nurse, _soon())
    url = reverse("measurement:worklist")
    with CaptureQueriesContext(connection) as one:
        assert nurse_client.get(url).status_code == 200
    _enrol(patients[1:], nurse, _soon())  # 28 due: more than a page
    with CaptureQueriesContext(connection) as many:
        response = nurse_client.get(url)
    assert len(response.context["rows"]) == 25
    assert len(many.captured_queries) == len(one.captured_queries)


def test_nothing_is_due_before_the_window_opens(clinics: list[Clinic], nurse: User) -> None:
    _enrol(_patients(clinics[0], 2), nurse)
    week_before = datetime(2026, 11, 23, tzinfo=UTC)
    assert count_due(clinics[0], week_before).total == 0
    counts = count_due(clinics[0], NOW)
    assert (counts.due, counts.overdue) == (4, 0)
    counts = count_due(clinics[0], datetime(2026, 12, 3, tzinfo=UTC))
    assert (counts.due, counts.overdue) == (0, 4)
    assert count_due(clinics[1], NOW).total == 0


def test_the_counts_follow_the_clock(clinics: list[Clinic], nurse: User) -> None:
    _enrol(_patients(clinics[0], 1), nurse)
    for moment, expected in ((NOW, (2, 0)), (datetime(2026, 12, 5, tzinfo=UTC), (0, 2))):
        with time_machine.travel(moment, tick=False):
            counts = count_due(clinics[0], timezone.now())
        assert (counts.due, counts.overdue) == expected


def test_today_shows_the_clinics_counts(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    (patient,) = _patients(clinics[0], 1)
    _enrol([patient], nurse, _soon())
    html = nurse_client.get(reverse("today:today")).content.decode()
    # The nurse's Today lists what is due (issue 11.3), the patient's baseline PHQ-9 and GAD-7
    # among them, and links to the worklist.
    section = html[html.index("Questionnaires due and overdue") :]
    assert patient.mrn in section
    assert section.count(patient.mrn) >= 2


def test_send_link_from_the_worklist_emails_the_patient(
    clinics: list[Clinic],
    nurse: User,
    nurse_client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    (patient,) = _patients(clinics[0], 1)
    Patient.objects.filter(pk=patient.pk).update(email="someone@example.org")
    _enrol([patient], nurse)
    assignment = Assignment.objects.filter(patient=patient).order_by("id")[0]
    url = reverse("measurement:assignment-send-link", args=[assignment.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = nurse_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("measurement:worklist")
    assert len(mail.outbox) == 1
    assert "http://testserver/q/" in mail.outbox[0].body


def test_send_link_without_an_email_says_so_and_sends_nothing(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    patient = Patient.objects.filter(clinic=clinics[0], portal_user=None).order_by("id")[0]
    Patient.objects.filter(pk=patient.pk).update(email="")
    _enrol([patient], nurse)
    assignment = Assignment.objects.filter(patient=patient).order_by("id")[0]
    chart = reverse("patients:chart", args=[patient.public_id])
    url = reverse("measurement:assignment-send-link", args=[assignment.public_id])
    response = nurse_client.post(url, {"next": chart}, follow=True)
    assert response.redirect_chain[-1][0] == chart
    assert "No e-mail address is on file" in response.content.decode()
    assert len(mail.outbox) == 0


def test_start_in_clinic_goes_to_the_administration_page(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    (patient,) = _patients(clinics[0], 1)
    _enrol([patient], nurse)
    assignment = Assignment.objects.filter(patient=patient).order_by("id")[0]
    response = nurse_client.post(
        reverse("measurement:assignment-start", args=[assignment.public_id])
    )
    assessment = Assessment.objects.get(patient=patient)
    assert response.status_code == 302
    assert str(assessment.public_id) in response["Location"]


def test_cancel_needs_a_reason_and_keeps_what_was_typed(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    (patient,) = _patients(clinics[0], 1)
    _enrol([patient], nurse)
    assignment = Assignment.objects.filter(patient=patient).order_by("id")[0]
    url = reverse("measurement:assignment-cancel", args=[assignment.public_id])
    refused = nurse_client.post(url, {"reason": "nope"})
    assert refused.status_code == 422
    assert "at least 10" in refused.content.decode()
    assert "nope" in refused.content.decode()
    done = nurse_client.post(url, {"reason": "Declined: prefers paper forms."})
    assert done.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CANCELLED


def test_another_clinics_assignment_answers_404(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    (stranger,) = _patients(clinics[1], 1)
    _enrol([stranger], nurse)
    assignment = Assignment.objects.filter(patient=stranger).order_by("id")[0]
    for name in ("measurement:assignment-send-link", "measurement:assignment-start"):
        assert nurse_client.post(reverse(name, args=[assignment.public_id])).status_code == 404
    cancel = reverse("measurement:assignment-cancel", args=[assignment.public_id])
    assert nurse_client.post(cancel, {"reason": "Not my patient at all."}).status_code == 404
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.OPEN


def test_enrol_from_the_chart(clinics: list[Clinic], nurse_client: Client) -> None:
    (patient,) = _patients(clinics[0], 1)
    chart = reverse("patients:chart", args=[patient.public_id])
    assert "Enrol in measurement plan" in nurse_client.get(chart).content.decode()
    url = reverse("measurement:plan-enrol", args=[patient.public_id])
    bad = nurse_client.post(url, {"plan": "default", "starts_on": "2026-02-31"})
    assert bad.status_code == 422
    assert not PlanEnrolment.objects.exists()
    starts_on = _soon()
    response = nurse_client.post(url, {"plan": "default", "starts_on": starts_on.isoformat()})
    assert response.status_code == 302
    assert response["Location"] == chart
    enrolment = PlanEnrolment.objects.get()
    assert (enrolment.patient, enrolment.starts_on) == (patient, starts_on)
    html = nurse_client.get(chart).content.decode()
    assert "Standard measurement plan v1" in html
    assert "PHQ-9" in html or "Patient Health Questionnaire" in html


def test_the_worklist_says_which_links_went_automatically_and_which_cannot_go(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    reachable, unreachable = _patients(clinics[0], 2)
    Patient.objects.filter(pk=reachable.pk).update(email="pat.example@example.org")
    Patient.objects.filter(pk=unreachable.pk).update(email="")
    _enrol([reachable, unreachable], nurse, _soon())
    assert send_due_links(now=timezone.now()).sent == 2

    response = nurse_client.get(reverse("measurement:worklist"))

    link_cells = {
        r.assignment.patient_id: r.assignment.link_sent_at for r in response.context["rows"]
    }
    assert link_cells[unreachable.pk] is None
    assert link_cells[reachable.pk] is not None
    html = response.content.decode()
    assert html.count("(automatically)") == 2
    assert html.count("(no e-mail address)") == 2


def test_send_link_for_a_portal_patient_without_an_email_says_it_is_due_in_the_portal(
    clinics: list[Clinic], nurse: User, nurse_client: Client
) -> None:
    patient = Patient.objects.filter(clinic=clinics[0], portal_user=None).order_by("id")[0]
    portal = User.objects.create_user(
        "portal.channel@example.org", "x" * 20, full_name=patient.full_name, kind="patient"
    )
    Patient.objects.filter(pk=patient.pk).update(email="", portal_user=portal)
    _enrol([patient], nurse, _soon())
    assignment = Assignment.objects.filter(patient=patient).order_by("id")[0]
    url = reverse("measurement:assignment-send-link", args=[assignment.public_id])

    response = nurse_client.post(url, follow=True)

    html = response.content.decode()
    assert "Due in the patient&#x27;s portal" in html
    assert "due in the patient's portal" in html  # the worklist row says so too
    assert len(mail.outbox) == 0
    assignment.refresh_from_db()
    assert assignment.link_sent_at is None
    assert assignment.status == Assignment.Status.OPEN
