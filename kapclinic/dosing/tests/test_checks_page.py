"""The pre-dose checks page (issue 15.3): htmx recording, overrides, the move to checks passed
through the checklist, capabilities, and a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.dosing import services
from kapclinic.dosing.models import CheckAnswer, CheckOverride, DosingSession
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.tests.conftest import countersign_pending
from kapclinic.scheduling.models import Appointment

HX = {"HX-Request": "true"}


@pytest.fixture
def session(clinics: list[Clinic], demo_user: Callable[[Role], User]) -> DosingSession:
    """A checked-in IV session of a ready patient, opened from a booked dosing appointment of
    the generated clinic."""
    clinic = clinics[0]
    nurse = Actor.for_user(demo_user(Role.NURSE), clinic)
    prescriber = Actor.for_user(demo_user(Role.PRESCRIBER), clinic)
    now = timezone.now()
    for appointment in Appointment.objects.filter(
        clinic=clinic, session_type="infusion"
    ).select_related("patient", "course__protocol"):
        if countersign_pending(appointment, prescriber, now):
            opened = services.open_session(actor=nurse, appointment=appointment, now=now)
            return services.move(actor=nurse, session=opened, target=State.CHECKED_IN, now=now)
    pytest.fail("the generated clinic has an infusion for a ready patient")


def _url(name: str, session: DosingSession) -> str:
    return reverse(f"dosing:{name}", args=[session.public_id])


def test_the_page_lists_each_check_with_its_reason_and_who_may_override(
    session: DosingSession, client_for: Callable[[Role], Client]
) -> None:
    """R-SCR-3, R-SCR-4: every item of the protocol with its status; each one not clear says
    why and who may override it (nobody, for identity)."""
    page = client_for(Role.NURSE).get(_url("checks", session))
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Identity confirmed", "Pre-dose blood pressure", "Fasting as the protocol asks"):
        assert label in text
    assert "Record the pre-dose blood pressure." in text
    assert "Nobody overrides this: the identity of the patient dosed is never overridden." in text
    assert "A prescriber may override it with a reason." in text
    assert 'hx-post="' + _url("checks-record", session) in text
    assert "Override as prescriber" not in text  # a nurse does not override


def test_recording_an_item_answers_the_checklist_without_a_reload(
    session: DosingSession, client_for: Callable[[Role], Client]
) -> None:
    """R-SCR-3, R-REMS-3: an htmx post answers the checklist; a refused one keeps what was
    typed and says why, storing nothing."""
    nurse = client_for(Role.NURSE)
    saved = nurse.post(
        _url("checks-record", session), {"item": "identity", "answer": "yes"}, headers=HX
    )
    assert saved.status_code == 200
    assert saved.content.decode().lstrip().startswith('<section id="checklist"')
    assert CheckAnswer.objects.filter(session=session, item="identity", answer="yes").exists()
    refused = nurse.post(
        _url("checks-record", session), {"item": "vitals", "systolic": "150"}, headers=HX
    )
    body = refused.content.decode()
    assert "Enter both halves of the blood pressure." in body
    assert 'value="150"' in body
    assert not session.vitals.exists()
    plain = nurse.post(_url("checks-record", session), {"item": "identity", "answer": "maybe"})
    assert plain.status_code == 422
    assert "Answer no or yes." in plain.content.decode()
    unknown = nurse.post(_url("checks-record", session), {"item": "coffee", "answer": "yes"})
    assert unknown.status_code == 422
    assert "Select a valid choice." in unknown.content.decode()


def test_a_high_bp_holds_and_a_prescriber_overrides_from_the_page(
    session: DosingSession, client_for: Callable[[Role], Client]
) -> None:
    """R-SCR-4: checks passed with a BP above 140/90 holds the session, with the reason; the
    prescriber's override needs a reason and is recorded with their name."""
    nurse = client_for(Role.NURSE)
    nurse.post(
        _url("checks-record", session),
        {"item": "vitals", "systolic": "172", "diastolic": "98"},
        headers=HX,
    )
    held = nurse.post(_url("checks-passed", session), headers=HX)
    assert "The session is held: Blood pressure 172/98 is above 140/90" in held.content.decode()
    session.refresh_from_db()
    assert session.current is State.HELD
    prescriber = client_for(Role.PRESCRIBER)
    page = prescriber.get(_url("checks", session)).content.decode()
    assert "Override as prescriber" in page
    empty = prescriber.post(_url("checks-override", session), {"item": "vitals"}, headers=HX)
    assert "Say why this check does not block the dose." in empty.content.decode()
    assert not CheckOverride.objects.filter(session=session).exists()
    done = prescriber.post(
        _url("checks-override", session),
        {"item": "vitals", "reason": "Asymptomatic, usual for this patient; recheck at 40 min."},
        headers=HX,
    )
    assert "Override recorded." in done.content.decode()
    assert CheckOverride.objects.get(session=session, item="vitals").by == User.objects.get(
        pk=prescriber.session["_auth_user_id"]
    )
    refused = nurse.post(
        _url("checks-override", session), {"item": "identity", "reason": "Known patient."}
    )
    assert refused.status_code == 403


def test_who_may_see_record_and_override(
    session: DosingSession, client_for: Callable[[Role], Client]
) -> None:
    """The page needs VIEW_MONITORING; recording RECORD_MEASUREMENTS; overriding
    CLEAR_SAFETY_HOLD (the prescriber); a session of another clinic is not found."""
    assert client_for(Role.THERAPIST).get(_url("checks", session)).status_code == 403
    admin = client_for(Role.CLINIC_ADMIN).get(_url("checks", session))
    assert admin.status_code == 200
    assert "Save pre-dose vitals" not in admin.content.decode()
    assert (
        client_for(Role.CLINIC_ADMIN)
        .post(_url("checks-record", session), {"item": "identity", "answer": "yes"})
        .status_code
        == 403
    )
    missing = reverse("dosing:checks", args=["00000000-0000-0000-0000-000000000000"])
    assert client_for(Role.NURSE).get(missing).status_code == 404


def test_the_page_reads_a_constant_number_of_queries(
    session: DosingSession, client_for: Callable[[Role], Client], django_assert_num_queries: Any
) -> None:
    """More answers, readings and overrides do not add queries."""
    nurse = client_for(Role.NURSE)
    url = _url("checks", session)
    nurse.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as before:
        assert nurse.get(url).status_code == 200
    # Counted now: the connection's query log is a bounded deque that the posts below roll.
    expected = len(before.captured_queries)
    for answer in ("no", "yes", "no", "yes"):
        nurse.post(_url("checks-record", session), {"item": "identity", "answer": answer})
        nurse.post(_url("checks-record", session), {"item": "medications", "answer": answer})
    nurse.post(
        _url("checks-record", session), {"item": "vitals", "systolic": "120", "diastolic": "80"}
    )
    nurse.post(
        _url("checks-record", session),
        {"item": "fasting", "last_food": "05:00", "last_liquid": "06:00"},
    )
    client_for(Role.PRESCRIBER).post(
        _url("checks-override", session),
        {"item": "questionnaires", "reason": "Answered on paper at the desk."},
    )
    with django_assert_num_queries(expected):
        assert nurse.get(url).status_code == 200


def test_the_summary_panel_renders_for_a_session(session: DosingSession) -> None:
    """R-SCR-3: the panel the session page includes names what still blocks the dose."""
    html = render_to_string("dosing/panels/checks.html", {"session": session})
    assert "Pre-dose checks" in html
    assert "Identity confirmed" in html
    assert reverse("dosing:checks", args=[session.public_id]) in html
