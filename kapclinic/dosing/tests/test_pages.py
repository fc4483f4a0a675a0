"""The session pages (issue 15.1, 15.4, 15.7): the day's list and check-in, each move through
the one transition function, the dose with its check, discharge with its criteria, and the
appointment and measurement plan following the session. Refusals answer 422 with the service's
words and keep what was typed; nothing answers 500."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapclinic.dosing import services
from kapclinic.dosing.models import DischargeSummary, DosingSession
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.tests.conftest import complete_checklist, countersign_pending
from kapclinic.dosing.tests.pages import Booked, at, nurse_client, prescriber_client
from kapclinic.ledger.models import Entry, EntryKind
from kapclinic.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

BASELINE = {
    VitalKind.SYSTOLIC: Decimal(124),
    VitalKind.DIASTOLIC: Decimal(80),
    VitalKind.HEART_RATE: Decimal(72),
    VitalKind.SPO2: Decimal(98),
}


def _url(name: str, session: DosingSession) -> str:
    return reverse(f"dosing:{name}", args=[session.public_id])


def _checked_in(booked: Booked, client: Client) -> DosingSession:
    response = client.post(reverse("dosing:check-in", args=[booked.appointment.public_id]))
    assert response.status_code == 302, response.content.decode()[:500]
    return booked.session()


def _dosing(booked: Booked, client: Client) -> DosingSession:
    """Checked in, the pre-dose checklist worked through the services (its page has tests of
    its own), checks passed and dosing, each move posted by the page."""
    session = _checked_in(booked, client)
    stock = booked.stock
    countersign_pending(booked.appointment, stock.prescriber, booked.at)
    complete_checklist(session, stock.nurse, stock.prescriber, booked.at)
    for target in (State.CHECKS_PASSED, State.DOSING):
        response = client.post(_url("move", session), {"target": target.value})
        assert response.status_code == 302, response.content.decode()[:800]
    return booked.session()


def _dose_data(booked: Booked, session: DosingSession, **changes: str) -> dict[str, str]:
    stock = booked.stock
    start = timezone.localtime(booked.at, stock.clinic.tzinfo)
    return {
        "stock": f"{stock.safe.public_id}:{stock.vials.public_id}",
        "dose_mg": str(booked.dose_mg()),
        "route": "iv",
        "started_at": f"{start:%Y-%m-%dT%H:%M}",
        "ended_at": f"{start + timedelta(minutes=40):%Y-%m-%dT%H:%M}",
        "containers_emptied": "0",
        "confirm_warning": "",
        **changes,
    }


def _administrations(booked: Booked) -> int:
    return Entry.objects.filter(
        patient=booked.appointment.patient, kind=EntryKind.ADMINISTRATION
    ).count()


def test_the_day_lists_dosing_appointments_and_check_in_opens_the_session(booked: Booked) -> None:
    """Issue 15.1: check-in opens the session and moves it to checked in; the booked
    appointment is marked attended through scheduling's service."""
    client = nurse_client(booked.stock)
    with at(booked.at):
        page = client.get(reverse("dosing:today")).content.decode()
        assert booked.appointment.patient.full_name in page
        assert str(booked.appointment.patient.public_id) not in page
        session = _checked_in(booked, client)
        again = client.post(reverse("dosing:check-in", args=[booked.appointment.public_id]))
    assert again.status_code == 302  # a second tap opens the same session
    assert session.current == State.CHECKED_IN
    assert DosingSession.objects.filter(appointment=booked.appointment).count() == 1
    appointment = Appointment.objects.get(pk=booked.appointment.pk)
    assert appointment.status == Appointment.Status.ATTENDED


def test_check_in_of_a_later_day_is_refused_with_the_reason(booked: Booked) -> None:
    """Scheduling's rule: an appointment is marked on its day; nothing is opened."""
    client = nurse_client(booked.stock)
    with at(booked.at - timedelta(days=2)):
        response = client.post(
            reverse("dosing:check-in", args=[booked.appointment.public_id]), follow=True
        )
    assert "later day" in response.content.decode()
    assert not DosingSession.objects.filter(appointment=booked.appointment).exists()


def test_a_hold_without_a_reason_is_refused_and_keeps_the_page(booked: Booked) -> None:
    """Issue 15.1: hold, abort and entered in error need a reason; the refusal is shown in
    words and nothing moves; with the reason the move is made and shown in the history."""
    client = nurse_client(booked.stock)
    with at(booked.at):
        session = _checked_in(booked, client)
        refused = client.post(_url("move", session), {"target": "held", "reason": ""})
        short = client.post(_url("move", session), {"target": "held", "reason": "BP"})
        held = client.post(
            _url("move", session), {"target": "held", "reason": "BP 182/104 before the dose"}
        )
        page = client.get(_url("session", session)).content.decode()
    assert refused.status_code == 422
    assert "Say why the session is held" in refused.content.decode()
    assert short.status_code == 422
    assert "BP</textarea>" in short.content.decode()  # what was typed is kept
    assert held.status_code == 302
    assert booked.session().current == State.HELD
    assert "BP 182/104 before the dose" in page


@pytest.mark.parametrize(
    "data",
    [
        {"target": "bogus"},
        {"target": "discharged"},
        {},
        {"target": "ready_for_discharge", "override_discharge": "1", "reason": "x" * 3000},
    ],
)
def test_a_move_the_workflow_refuses_answers_422_never_500(
    booked: Booked, data: dict[str, str]
) -> None:
    """Issue 15.1: a move the workflow does not allow is refused with its words."""
    client = nurse_client(booked.stock)
    with at(booked.at):
        session = _checked_in(booked, client)
        response = client.post(_url("move", session), data)
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert booked.session().current == State.CHECKED_IN


def test_entered_in_error_before_check_in_cancels_the_booked_appointment(booked: Booked) -> None:
    """Issue 15.1: the appointment follows the session through scheduling's cancellation."""
    stock = booked.stock
    with at(booked.at):
        session = services.open_session(
            actor=stock.nurse, appointment=booked.appointment, now=booked.at
        )
        services.move(
            actor=stock.nurse,
            session=session,
            target=State.ENTERED_IN_ERROR,
            now=booked.at,
            reason="Opened for the wrong appointment",
        )
    appointment = Appointment.objects.get(pk=booked.appointment.pk)
    assert appointment.status == Appointment.Status.CANCELLED
    assert "entered in error" in appointment.cancel_reason


def test_the_dose_preview_shows_the_arithmetic_and_bands(booked: Booked) -> None:
    """R-IV-1: mg / kg = mg/kg from the latest weight, with the warning and hard-stop bands,
    before submitting."""
    client = nurse_client(booked.stock)
    with at(booked.at):
        session = _dosing(booked, client)
        fine = client.post(_url("dose-preview", session), _dose_data(booked, session))
        warned = client.post(
            _url("dose-preview", session),
            _dose_data(booked, session, dose_mg=str(booked.dose_mg("0.9"))),
        )
        blocked = client.post(
            _url("dose-preview", session),
            _dose_data(booked, session, dose_mg=str(booked.dose_mg("1.5"))),
        )
        nonsense = client.post(_url("dose-preview", session), {"dose_mg": "lots"})
    assert "mg/kg" in fine.content.decode()
    assert "Within the protocol" in fine.content.decode()
    assert "Warning" in warned.content.decode()
    assert "anaesthetic range" in blocked.content.decode()
    assert nonsense.status_code == 200
    assert "is not a dose" in nonsense.content.decode()


def test_recording_the_dose_debits_the_ledger_once_even_when_submitted_twice(
    booked: Booked,
) -> None:
    """R-IV-1, R-CS-2: the dose form calls record_dose; a double submit returns the dose
    already recorded and never debits twice."""
    client = nurse_client(booked.stock)
    with at(booked.at + timedelta(minutes=41)):
        session = _dosing(booked, client)
        data = _dose_data(booked, session)
        first = client.post(_url("dose", session), data)
        second = client.post(_url("dose", session), data)
        ledger = client.get(reverse("ledger:account", args=[booked.stock.safe.public_id]))
    assert (first.status_code, second.status_code) == (302, 302)
    assert _administrations(booked) == 1
    assert session.doses.get().route == "iv"
    assert "Administration" in ledger.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dose_mg": "abc"}, "is not a dose"),
        ({"dose_mg": "1e999"}, "at most"),
        ({"dose_mg": "-5"}, "above 0"),
        ({"stock": ""}, "required"),
        ({"stock": "nonsense:value"}, "Choose a lot"),
        ({"started_at": "yesterday-ish"}, "valid date"),
        ({"route": "nasal"}, "valid choice"),
    ],
)
def test_a_bad_dose_form_is_refused_with_everything_typed_kept(
    booked: Booked, changes: dict[str, str], message: str
) -> None:
    """Issue 15.4: bad input gets a clear message, no 500, nothing debited, typing kept."""
    client = nurse_client(booked.stock)
    with at(booked.at + timedelta(minutes=41)):
        session = _dosing(booked, client)
        response = client.post(_url("dose", session), _dose_data(booked, session, **changes))
    page = response.content.decode()
    assert response.status_code == 422
    assert message in page
    assert _administrations(booked) == 0
    typed = changes.get("dose_mg", str(booked.dose_mg()))
    assert f'value="{typed}"' in page


def test_a_warned_dose_needs_the_prescribers_written_confirmation(booked: Booked) -> None:
    """R-IV-1: 0.75-1.0 mg/kg: refused for the nurse, recorded on the prescriber's words."""
    stock = booked.stock
    high = str(booked.dose_mg("0.9"))
    with at(booked.at + timedelta(minutes=41)):
        session = _dosing(booked, nurse_client(stock))
        confirm = {"dose_mg": high, "confirm_warning": "Tolerated 0.9 mg/kg at the last dose"}
        nurse = nurse_client(stock).post(
            _url("dose", session), _dose_data(booked, session, **confirm)
        )
        blocked = prescriber_client(stock).post(
            _url("dose", session),
            _dose_data(booked, session, dose_mg=str(booked.dose_mg("1.5"))),
        )
        done = prescriber_client(stock).post(
            _url("dose", session), _dose_data(booked, session, **confirm)
        )
    assert nurse.status_code == 422
    assert "A prescriber confirms" in nurse.content.decode()
    assert "Tolerated 0.9 mg/kg at the last dose" in nurse.content.decode()
    assert blocked.status_code == 422
    assert "anaesthetic range" in blocked.content.decode()
    assert done.status_code == 302
    assert _administrations(booked) == 1


def _observed(booked: Booked) -> DosingSession:
    """Dosed at the booked start (40-minute infusion), in observation, back to baseline,
    sedation resolved, escort recorded."""
    client = nurse_client(booked.stock)
    with at(booked.at + timedelta(minutes=41)):
        session = _dosing(booked, client)
        assert client.post(_url("dose", session), _dose_data(booked, session)).status_code == 302
        assert client.post(_url("move", session), {"target": "observation"}).status_code == 302
        services.record_vitals(
            actor=booked.stock.nurse,
            session=booked.session(),
            readings=BASELINE,
            moaas=5,
            taken_at=booked.at + timedelta(minutes=41),
            now=booked.at + timedelta(minutes=41),
        )
        escort = client.post(
            _url("escort", session),
            {"escort_name": "A. Friend", "no_driving_acknowledged": "on"},
        )
        assert escort.status_code == 302
    return booked.session()


def test_discharge_is_refused_before_the_minimum_observation_with_frozen_time(
    booked: Booked,
) -> None:
    """R-DC-2: the protocol's minimum observation after the dose; the page lists the unmet
    criterion in words; one minute after it ends the move is allowed."""
    session = _observed(booked)
    assert session.dosed_at is not None
    client = nurse_client(booked.stock)
    ends = session.dosed_at + timedelta(minutes=session.minimum_observation_minutes)
    with at(ends - timedelta(minutes=1)):
        page = client.get(_url("session", session)).content.decode()
        refused = client.post(_url("move", session), {"target": "ready_for_discharge"})
    assert "Observation continues for 1 more minute" in page
    assert refused.status_code == 422
    assert "discharge criteria are not met" in refused.content.decode()
    assert booked.session().current == State.OBSERVATION
    with at(ends + timedelta(minutes=1)):
        ready = client.post(_url("move", session), {"target": "ready_for_discharge"})
    assert ready.status_code == 302
    assert booked.session().current == State.READY_FOR_DISCHARGE


def test_only_a_prescriber_overrides_the_discharge_criteria_with_a_reason(
    booked: Booked,
) -> None:
    """R-DC-2: the override needs a prescriber and a reason (the nurse is refused; the
    override form is offered to the prescriber only)."""
    session = _observed(booked)
    stock = booked.stock
    early = booked.at + timedelta(minutes=50)
    override = {
        "target": "ready_for_discharge",
        "override_discharge": "1",
        "reason": "Leaves with escort against advice, documented",
    }
    with at(early):
        nurse_page = nurse_client(stock).get(_url("session", session)).content.decode()
        prescriber_page = prescriber_client(stock).get(_url("session", session)).content.decode()
        nurse = nurse_client(stock).post(_url("move", session), override)
        no_reason = prescriber_client(stock).post(_url("move", session), {**override, "reason": ""})
        done = prescriber_client(stock).post(_url("move", session), override)
    assert "Override and make ready" not in nurse_page
    assert "Override and make ready" in prescriber_page
    assert nurse.status_code == 422
    assert "Only a prescriber" in nurse.content.decode()
    assert no_reason.status_code == 422
    assert done.status_code == 302
    assert booked.session().discharge_override_by == stock.prescriber.user


def test_discharge_writes_the_summary_and_instructions_and_ends_the_appointment(
    booked: Booked,
) -> None:
    """Issue 15.7, R-DC-1, R-REMS-6: the summary and take-home instructions (no driving until
    the next day after a restful sleep, the clinic's phone), and the appointment's end is the
    discharge (scheduling's record_session_end)."""
    session = _observed(booked)
    assert session.dosed_at is not None
    client = nurse_client(booked.stock)
    done = session.dosed_at + timedelta(minutes=session.minimum_observation_minutes + 5)
    with at(done):
        client.post(_url("move", session), {"target": "ready_for_discharge"})
        response = client.post(_url("move", session), {"target": "discharged"})
        page = client.get(_url("session", session)).content.decode()
    assert response.status_code == 302
    summary = DischargeSummary.objects.get(session=session)
    assert "until the next day, after a restful sleep" in summary.instructions
    clinic = booked.stock.clinic
    assert clinic.phone
    assert clinic.phone in summary.instructions
    assert f"{booked.dose_mg().normalize():f} mg" in summary.summary
    assert "after a restful sleep" in page
    appointment = Appointment.objects.get(pk=booked.appointment.pk)
    assert appointment.ended_at == done


def test_the_session_page_keeps_its_query_count(booked: Booked) -> None:
    """The session page does not grow with moves, readings and doses."""
    stock = booked.stock
    client = nurse_client(stock)
    with at(booked.at + timedelta(minutes=41)):
        session = _observed_here(booked, client)
        url = _url("session", session)
        client.get(url)
        with CaptureQueriesContext(connection) as before:
            client.get(url)
        for minutes in (25, 30, 35):
            services.record_vitals(
                actor=stock.nurse,
                session=booked.session(),
                readings=BASELINE,
                moaas=5,
                taken_at=booked.at + timedelta(minutes=minutes),
                now=booked.at + timedelta(minutes=41),
            )
        client.post(_url("move", session), {"target": "held", "reason": "Nausea, ondansetron"})
        client.post(_url("move", session), {"target": "observation"})
        with CaptureQueriesContext(connection) as after:
            client.get(url)
    assert booked.session().moves.count() == 6
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_day_list_keeps_its_query_count(booked: Booked) -> None:
    """The day's list does not grow with its sessions (the busiest day of the demo clinic)."""
    stock = booked.stock
    tz = stock.clinic.tzinfo
    days: dict[object, list[Appointment]] = {}
    for appointment in Appointment.objects.filter(
        clinic=stock.clinic, kind="dosing", status__in=["booked", "attended"]
    ):
        days.setdefault(timezone.localtime(appointment.starts_at, tz).date(), []).append(
            appointment
        )
    busiest = max(days.values(), key=len)
    assert len(busiest) >= 2
    first, *rest = sorted(busiest, key=lambda a: a.starts_at)
    client = nurse_client(stock)
    with at(first.starts_at):
        services.check_in(actor=stock.nurse, appointment=first, now=first.starts_at)
        client.get(reverse("dosing:today"))
        with CaptureQueriesContext(connection) as before:
            client.get(reverse("dosing:today"))
        for appointment in rest:
            services.check_in(actor=stock.nurse, appointment=appointment, now=first.starts_at)
        with CaptureQueriesContext(connection) as after:
            page = client.get(reverse("dosing:today")).content.decode()
    assert page.count("Open session") == len(busiest)
    assert len(after.captured_queries) == len(before.captured_queries)


def _observed_here(booked: Booked, client: Client) -> DosingSession:
    session = _dosing(booked, client)
    assert client.post(_url("dose", session), _dose_data(booked, session)).status_code == 302
    assert client.post(_url("move", session), {"target": "observation"}).status_code == 302
    return booked.session()
