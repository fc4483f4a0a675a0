"""Every place that shows or gives an instrument uses the clinic's licensed wording (issue 11.2;
R-OUT-5: the C-SSRS is given electronically only under the clinic's licence).

The first clinic loads (dummy) wording for the C-SSRS screener; then the screener is started
and answered through each entry point: the staff picker and the tablet, patient mode, the
one-time link, the portal, the plan's e-mailed link, the JSON API, the safety task page and the
FHIR Questionnaire. The second clinic, which loaded nothing, is refused at each one with the
reason in words.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.measurement.assignments.rules import PlanSpec, RuleSpec
from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.licensing.selectors import clinic_questionnaire
from kapclinic.measurement.licensing.services import retire_wording
from kapclinic.measurement.models import Assessment, Assignment, Mode, PlanTrigger, SafetyTask
from kapclinic.measurement.plans.links import send_link_if_due
from kapclinic.measurement.plans.services import create_plan, enrol
from kapclinic.measurement.responses.services import complete_assessment, start_assessment
from kapclinic.measurement.tests.helpers import answer_all
from kapclinic.measurement.tests.wording import CSSRS, clinic_admin, load_test_wording
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
SHOWN = "Item 1 wording (test)"
NOT_LOADED = "C-SSRS Screener — licensed: its wording is not loaded in this clinic"
START = date(2026, 12, 1)
IN_BASELINE_WINDOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def loaded(clinics: list[Clinic]) -> Clinic:
    """The first clinic, with the C-SSRS screener's (dummy) wording loaded."""
    load_test_wording(clinics[0])
    return clinics[0]


def _patient(clinic: Clinic) -> Patient:
    return Patient.objects.filter(clinic=clinic, merged_into=None).order_by("id")[0]


def _nurse(clinic: Clinic) -> Client:
    client = Client()
    client.force_login(staff_of(clinic, Role.NURSE))
    return client


def _form_answers() -> dict[str, str]:
    answers = answer_all(get_instrument(CSSRS), highest=False)
    return {item: str(value) for item, value in answers.items()}


def _start(client: Client, patient: Patient, mode: str) -> Any:
    return client.post(
        reverse("measurement:patient", args=[patient.public_id]),
        {"instrument": CSSRS, "occasion": "ad_hoc", "mode": mode},
    )


def test_the_picker_and_the_tablet_use_the_loaded_wording_and_the_other_clinic_refuses(
    loaded: Clinic, clinics: list[Clinic]
) -> None:
    patient = _patient(loaded)
    nurse = _nurse(loaded)
    picker = nurse.get(reverse("measurement:patient", args=[patient.public_id])).content.decode()
    assert re.search(rf'<option value="{CSSRS}">', picker)  # listed, not disabled

    started = _start(nurse, patient, "staff")
    assessment = Assessment.objects.get(patient=patient, instrument_code=CSSRS)
    url = reverse("measurement:administer", args=[assessment.public_id])
    assert started["Location"] == url
    page = nurse.get(url).content.decode()
    assert SHOWN in page
    assert "Instructions (test)" in page
    assert "Answer 0 (test)" in page
    nurse.post(url, {**_form_answers(), "action": "complete"})
    assessment.refresh_from_db()
    assert (assessment.status, assessment.category) == ("completed", "none")

    other = _patient(clinics[1])
    theirs = _nurse(clinics[1])
    picker = theirs.get(reverse("measurement:patient", args=[other.public_id])).content.decode()
    assert re.search(rf'<option value="{CSSRS}" disabled>', picker)
    assert "<strong>C-SSRS Screener</strong> — licensed: its wording is not loaded" in picker
    refused = _start(theirs, other, "staff")
    assert refused.status_code == 422
    assert NOT_LOADED in refused.content.decode()
    assert not Assessment.objects.filter(patient=other, instrument_code=CSSRS).exists()


def test_patient_mode_shows_the_loaded_wording(loaded: Clinic) -> None:
    patient = _patient(loaded)
    nurse = _nurse(loaded)
    _start(nurse, patient, "staff")
    assessment = Assessment.objects.get(patient=patient, instrument_code=CSSRS)
    nurse.post(reverse("measurement:patient-mode-enter", args=[assessment.public_id]))
    handed = nurse.get(reverse("measurement:administer", args=[assessment.public_id]))
    assert SHOWN in handed.content.decode()


def test_the_one_time_link_shows_and_takes_the_loaded_wording(loaded: Clinic) -> None:
    patient = _patient(loaded)
    page = _start(_nurse(loaded), patient, "link").content.decode()
    found = re.search(r'value="http://testserver(/q/[^"]+/)"', page)
    assert found is not None
    phone = Client()
    phone.get(found.group(1))
    form = phone.get(reverse("questionnaire")).content.decode()
    assert SHOWN in form
    phone.post(reverse("questionnaire"), {**_form_answers(), "action": "complete"})
    assessment = Assessment.objects.get(patient=patient, instrument_code=CSSRS)
    assert assessment.status == "completed"


def _link_plan(clinic: Clinic, actor: User) -> Any:
    rules = (
        RuleSpec(
            trigger=PlanTrigger.ENROLMENT,
            instrument_codes=(CSSRS,),
            mode=Mode.LINK,
            opens_minutes_before=7 * 24 * 60,
            closes_minutes_after=24 * 60,
        ),
    )
    spec = PlanSpec(
        code="cssrs", version=1, name="C-SSRS", description="", source="test", rules=rules
    )
    return create_plan(
        actor=Actor(user=actor, roles=frozenset({Role.NURSE})), clinic=clinic, spec=spec
    )


def _enrolled(clinic: Clinic, *, email: str) -> Assignment:
    nurse = staff_of(clinic, Role.NURSE)
    patient = _patient(clinic)
    Patient.objects.filter(pk=patient.pk).update(email=email)
    patient.refresh_from_db()
    enrol(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        plan=_link_plan(clinic, nurse),
        starts_on=START,
    )
    return Assignment.objects.get(patient=patient, instrument_code=CSSRS)


def test_the_plans_link_is_sent_only_where_the_wording_is_loaded(
    loaded: Clinic, clinics: list[Clinic]
) -> None:
    ours = _enrolled(loaded, email="ours.example@example.org")
    theirs = _enrolled(clinics[1], email="theirs.example@example.org")

    assert send_link_if_due(assignment_public_id=ours.public_id, now=IN_BASELINE_WINDOW) == 1
    with pytest.raises(PlanError, match=NOT_LOADED):
        send_link_if_due(assignment_public_id=theirs.public_id, now=IN_BASELINE_WINDOW)
    theirs.refresh_from_db()
    assert (theirs.link_sent_at, theirs.assessment) == (None, None)

    refused = _nurse(clinics[1]).post(
        reverse("measurement:assignment-send-link", args=[theirs.public_id])
    )
    assert refused.status_code == 302
    theirs.refresh_from_db()
    assert theirs.link_sent_at is None


def test_the_portal_opens_the_due_screener_with_the_loaded_wording(
    loaded: Clinic, clinics: list[Clinic]
) -> None:
    due = _enrolled(loaded, email="")
    user = User.objects.create_user(
        "portal.cssrs@example.org", "x" * 20, full_name="Portal Patient", kind="patient"
    )
    Patient.objects.filter(pk=due.patient_id).update(portal_user=user)
    portal = Client()
    portal.force_login(user)
    opened = portal.post(reverse("portal:start-due", args=[due.public_id]))
    due.refresh_from_db()
    assert due.assessment is not None
    assert opened["Location"] == reverse("portal:questionnaire", args=[due.assessment.public_id])
    assert SHOWN in portal.get(opened["Location"]).content.decode()

    other = _enrolled(clinics[1], email="")
    user = User.objects.create_user(
        "portal.other@example.org", "x" * 20, full_name="Other Patient", kind="patient"
    )
    Patient.objects.filter(pk=other.patient_id).update(portal_user=user)
    portal = Client()
    portal.force_login(user)
    refused = portal.post(reverse("portal:start-due", args=[other.public_id]), follow=True)
    assert "cannot be opened here at the moment" in refused.content.decode()
    other.refresh_from_db()
    assert other.assessment is None


def test_the_api_records_the_screener_only_where_the_wording_is_loaded(
    loaded: Clinic, clinics: list[Clinic]
) -> None:
    answers = answer_all(get_instrument(CSSRS), highest=False)
    body = json.dumps({"instrument": CSSRS, "answers": answers})

    def post(clinic: Clinic) -> Any:
        return _nurse(clinic).post(
            f"/api/v1/patients/{_patient(clinic).public_id}/questionnaire-responses",
            data=body,
            content_type="application/json",
        )

    assert post(loaded).status_code == 201
    refused = post(clinics[1])
    assert refused.status_code == 422
    assert NOT_LOADED in refused.json()["detail"]


def test_the_safety_task_offers_the_screener_on_the_tablet_only_where_it_is_loaded(
    loaded: Clinic, clinics: list[Clinic]
) -> None:
    def task_page(clinic: Clinic) -> str:
        nurse = staff_of(clinic, Role.NURSE)
        assessment = start_assessment(
            actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
            patient=_patient(clinic),
            instrument_code="phq9",
            mode=Mode.STAFF,
        )
        answers = {f"phq9_{n}": 0 for n in range(1, 9)} | {"phq9_9": 1}
        complete_assessment(
            actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
            assessment=assessment,
            answers=answers,
            now=timezone.now(),
        )
        task = SafetyTask.objects.get(assessment=assessment)
        return (
            _nurse(clinic)
            .get(reverse("measurement:safety-task", args=[task.public_id]))
            .content.decode()
        )

    ours = task_page(loaded)
    assert "Give the C-SSRS screener on the tablet" in ours
    assert f'name="instrument" value="{CSSRS}"' in ours
    theirs = task_page(clinics[1])
    assert "The C-SSRS is done on paper" in theirs
    assert "Give the C-SSRS screener" not in theirs


def test_the_fhir_questionnaire_carries_the_clinics_wording(
    loaded: Clinic, clinics: list[Clinic]
) -> None:
    base = "https://kap.example.org/fhir"
    ours: Any = clinic_questionnaire(loaded.pk, CSSRS, canonical_base=base)
    assert ours["status"] == "active"
    assert ours["item"][0]["text"] == SHOWN
    theirs: Any = clinic_questionnaire(clinics[1].pk, CSSRS, canonical_base=base)
    assert theirs["status"] == "draft"
    assert "text" not in theirs["item"][0]


def test_a_response_in_progress_stops_being_shown_when_the_wording_is_retired(
    clinics: list[Clinic],
) -> None:
    wording = load_test_wording(clinics[0])
    patient = _patient(clinics[0])
    nurse = _nurse(clinics[0])
    _start(nurse, patient, "staff")
    assessment = Assessment.objects.get(patient=patient, instrument_code=CSSRS)
    url = reverse("measurement:administer", args=[assessment.public_id])
    nurse.post(url, {"cssrs_1": "0"})
    retire_wording(
        actor=Actor(user=clinic_admin(clinics[0]), roles=frozenset({Role.CLINIC_ADMIN})),
        wording=wording,
        reason="The licence ended this month.",
        now=timezone.now(),
    )

    page = nurse.get(url)
    assert page.status_code == 409
    assert "cannot be shown now" in page.content.decode()
    assert SHOWN not in page.content.decode()
    saved = nurse.post(url, {"cssrs_2": "1"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert "cannot be shown now" in saved.content.decode()
    assessment.refresh_from_db()
    assert assessment.answers == {"cssrs_1": 0}  # kept, and nothing more saved
    assert _start(nurse, patient, "staff").status_code == 422  # nor started anew


# Modules that show, give or send an instrument: they read it through the clinic
# (licensing.selectors, or services.instrument_of), never the bare shipped definition.
ENTRY_POINTS = (
    "kapclinic/measurement/responses/services.py",
    "kapclinic/measurement/responses/views.py",
    "kapclinic/measurement/plans/links.py",
    "kapclinic/measurement/plans/views.py",
    "kapclinic/measurement/safety/views.py",
    "kapclinic/portal/views.py",
    "kapclinic/api/api.py",
)
BARE = re.compile(r"\b(get_instrument|all_instruments|load_licensed_texts)\b")


def test_no_entry_point_reads_the_bare_definition() -> None:
    offenders = [
        f"{path}:{text.count(chr(10), 0, m.start()) + 1}"
        for path in ENTRY_POINTS
        for text in [(ROOT / path).read_text(encoding="utf-8")]
        for m in BARE.finditer(text)
    ]
    assert offenders == []
