"""Questionnaires on the clinic's tablet and through a one-time link on the patient's phone."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.measurement.models import Assessment, SafetyTask
from kapclinic.measurement.responses.views import _apply_answers
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
ALL_ONES = {f"phq9_{n}": "1" for n in range(1, 10)}


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def _start(client: Client, patient: Patient, mode: str) -> Assessment:
    response = client.post(
        reverse("measurement:patient", args=[patient.public_id]),
        {"instrument": "phq9", "occasion": "baseline", "mode": mode},
    )
    assert response.status_code in (200, 302)
    return Assessment.objects.filter(patient=patient).latest("id")


def test_a_nurse_gives_a_phq9_on_the_tablet_with_partial_saves(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.NURSE)
    assessment = _start(client, patient, "staff")
    url = reverse("measurement:administer", args=[assessment.public_id])
    page = client.get(url).content.decode()
    assert "Little interest or pleasure in doing things" in page

    # Choosing an answer saves it (htmx sends the form; the form comes back alone).
    partial = client.post(url, {"phq9_1": "2"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert "Your answers are saved." in partial.content.decode()
    assessment.refresh_from_db()
    assert assessment.answers == {"phq9_1": 2}

    missing = client.post(url, {"action": "complete", "phq9_2": "1"})
    assert missing.status_code == 422
    assert "Please answer every question" in missing.content.decode()

    done = client.post(url, {**ALL_ONES, "phq9_1": "2", "phq9_9": "0", "action": "complete"})
    assert done["Location"] == url
    assessment.refresh_from_db()
    assert (assessment.status, assessment.total) == ("completed", 9)
    result = client.get(url).content.decode()
    assert "Scoring rule" in result
    assert "(Mild)" in result


def test_a_bad_answer_is_refused_with_a_message_and_nothing_lost(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.NURSE)
    assessment = _start(client, patient, "staff")
    url = reverse("measurement:administer", args=[assessment.public_id])
    client.post(url, {"phq9_1": "2"})
    bad = client.post(url, {"phq9_2": "9"})
    assert bad.status_code == 422
    assert "not one of its answers" in bad.content.decode()
    assessment.refresh_from_db()
    assert assessment.answers == {"phq9_1": 2}


def test_the_patient_answers_by_one_time_link_and_staff_get_the_alert(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    nurse = client_for(Role.NURSE)
    assessment = _start(nurse, patient, "link")
    issued = Assessment.objects.get(pk=assessment.pk)
    assert issued.mode == "link"
    page = nurse.post(reverse("measurement:new-link", args=[assessment.public_id]))
    url = re.search(r'value="(http[^"]+/q/[^"]+/)"', page.content.decode())
    assert url is not None
    link = url.group(1).split("testserver", 1)[1]
    assert str(patient.public_id) not in link
    assert patient.family_name not in link

    phone = Client()
    opened = phone.get(link)
    assert opened["Location"] == reverse("questionnaire")
    form = phone.get(reverse("questionnaire")).content.decode()
    assert patient.family_name not in form  # nothing identifying on the patient's page
    assert "Little interest or pleasure" in form
    phone.post(reverse("questionnaire"), {"phq9_1": "1"})  # partial, saved
    assessment.refresh_from_db()
    assert assessment.answers == {"phq9_1": 1}

    finish = phone.post(reverse("questionnaire"), {**ALL_ONES, "phq9_9": "2", "action": "complete"})
    assert finish["Location"] == reverse("questionnaire")
    thanks = phone.get(reverse("questionnaire")).content.decode()
    assert "988" in thanks
    assert "Your care team" in thanks
    task = SafetyTask.objects.get(assessment=assessment)
    assert task.severity == "urgent"

    assert Client().get(link).status_code == 410  # single use
    assert phone.get(reverse("questionnaire")).status_code == 410  # and finished


def test_the_questionnaire_page_without_an_opened_link_explains_itself(client: Client) -> None:
    response = client.get(reverse("questionnaire"))
    assert response.status_code == 410
    assert "only from the link" in response.content.decode()
    guessed = client.get(reverse("questionnaire-link", args=["x" * 43]))
    assert guessed.status_code == 410
    assert "links work once and expire" in guessed.content.decode()


def test_another_clinics_response_is_not_found(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    other = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    prescriber = client_for(Role.PRESCRIBER)  # the demo prescriber works in both clinics
    assessment = _start(prescriber, other, "staff")
    nurse = client_for(Role.NURSE)  # the demo nurse only in the first
    url = reverse("measurement:administer", args=[assessment.public_id])
    assert nurse.get(url).status_code == 404


def test_an_answer_that_opens_a_question_sends_the_whole_form_back(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.NURSE)
    response = client.post(
        reverse("measurement:patient", args=[patient.public_id]),
        {"instrument": "asq", "occasion": "ad_hoc", "mode": "staff"},
    )
    url = response["Location"]
    quiet = client.post(url, {"asq_1": "0"}, headers={"HX-Request": "true"})
    assert "HX-Retarget" not in quiet
    assert 'id="save-status"' in quiet.content.decode()
    opens = client.post(url, {"asq_1": "1"}, headers={"HX-Request": "true"})
    assert opens["HX-Retarget"] == "#questionnaire-form"
    assert 'name="asq_5"' in opens.content.decode()  # the acuity question now asked


def test_finishing_what_a_crossing_request_just_finished_is_not_an_error(
    patient: Patient, client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    """Two Finish requests cross (a second tap, a browser retrying a POST): the one that comes
    second read the response while it was still open, and must end on the thank-you page, not
    on "already finished"."""
    client = client_for(Role.NURSE)
    assessment = _start(client, patient, "staff")
    stale = Assessment.objects.get(pk=assessment.pk)  # what the second request read
    url = reverse("measurement:administer", args=[assessment.public_id])
    assert client.post(url, {**ALL_ONES, "phq9_9": "0", "action": "complete"}).status_code == 302

    request = RequestFactory().post(url, {**ALL_ONES, "phq9_9": "0", "action": "complete"})
    nurse = demo_user(Role.NURSE)
    status, _answers, errors, message = _apply_answers(
        request, stale, actor=Actor(user=nurse, roles=frozenset({Role.NURSE}))
    )

    assert (status, errors, message) == ("completed", (), "")
    assert Assessment.objects.filter(patient=patient).count() == 1


def test_an_answers_save_never_sends_the_finish_button(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.NURSE)
    assessment = _start(client, patient, "staff")
    page = client.get(reverse("measurement:administer", args=[assessment.public_id]))
    form = page.content.decode().split('id="questionnaire-form"')[1].split(">")[0]
    assert 'hx-params="not action"' in form


def test_a_save_arriving_after_finish_leaves_the_thank_you_page_to_the_patient(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    """A save queued behind Finish reaches the server after it: 204, nothing swapped, and the
    link's session still shows the thank-you page once (the browser test saw it refused)."""
    nurse = client_for(Role.NURSE)
    assessment = _start(nurse, patient, "link")
    page = nurse.post(reverse("measurement:new-link", args=[assessment.public_id]))
    found = re.search(r'value="http://testserver(/q/[^"]+/)"', page.content.decode())
    assert found is not None
    phone = Client()
    phone.get(found.group(1))
    url = reverse("questionnaire")
    assert phone.post(url, {**ALL_ONES, "phq9_9": "0", "action": "complete"}).status_code == 302

    late = phone.post(url, {"phq9_9": "0"}, headers={"HX-Request": "true"})

    assert (late.status_code, late.content) == (204, b"")
    thanks = phone.get(url)
    assert thanks.status_code == 200
    assert "Thank you" in thanks.content.decode()
    assessment.refresh_from_db()
    assert (assessment.status, assessment.total) == ("completed", 8)
