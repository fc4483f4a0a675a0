"""The monitoring console (issue 15.6) and a session's vitals page (issue 15.5): cards in a
fixed number of queries, readings through the one service (R-COD-1, R-ALR-*), CADSS (R-ALR-6),
adverse events prompted by the alerts that imply them (R-ALR-5), the Today list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent
from kapclinic.dosing import services
from kapclinic.dosing.console import selectors
from kapclinic.dosing.models import AdverseEvent, DosingSession, SessionAlert, VitalsSet
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services import DosingError
from kapclinic.ledger.tests.books import client_for
from kapclinic.ledger.tests.conftest import Stock, staff
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import SessionKind
from kapclinic.scheduling.protocols.parser import parse_protocol


def _dosing_appointments(stock: Stock, count: int) -> list[Appointment]:
    found = []
    for appointment in (
        Appointment.objects.filter(clinic=stock.clinic)
        .select_related("course__protocol")
        .order_by("starts_at", "pk")
    ):
        protocol = parse_protocol(appointment.course.protocol.document)
        kind = protocol.session_type(appointment.session_type)
        dosing = kind is not None and kind.kind == SessionKind.DOSING
        if dosing and not DosingSession.objects.filter(appointment=appointment).exists():
            found.append(appointment)
        if len(found) == count:
            return found
    pytest.fail(f"the demo has {count} dosing appointments")


def _in_chairs(stock: Stock, count: int) -> list[DosingSession]:
    sessions = []
    for appointment in _dosing_appointments(stock, count):
        session = services.open_session(actor=stock.nurse, appointment=appointment, now=stock.now)
        sessions.append(
            services.move(
                actor=stock.nurse, session=session, target=State.CHECKED_IN, now=stock.now
            )
        )
    return sessions


def _vitals(stock: Stock, session: DosingSession, **values: int) -> list[SessionAlert]:
    readings = {VitalKind(k): Decimal(v) for k, v in values.items()}
    _, raised = services.record_vitals(
        actor=stock.nurse, session=session, readings=readings, taken_at=stock.now, now=stock.now
    )
    return raised


def test_the_console_shows_one_card_per_chair_with_its_next_check(stock: Stock) -> None:
    """R-SCR-3, R-COD-1: a checked-in patient's card asks for the baseline; units are shown."""
    first, second = _in_chairs(stock, 2)
    _vitals(stock, second, systolic=128, diastolic=80, heart_rate=70)
    page = client_for(stock.nurse).get(reverse("dosing:console"))
    text = page.content.decode()
    assert page.status_code == 200
    for session in (first, second):
        assert f"{session.patient.given_name} {session.patient.family_name}" in text
        assert session.patient.mrn not in text
    assert "Baseline vital signs before the dose" in text
    assert "mmHg" in text
    assert "beats/min" in text
    assert 'hx-trigger="every 5s' in text
    assert 'aria-live="assertive"' in text


def _cards_queries(stock: Stock) -> int:
    client = client_for(stock.nurse)
    client.get(reverse("dosing:console-cards"))  # warm the session and the cadence cache
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(reverse("dosing:console-cards"))
    assert answer.status_code == 200
    return len(queries)


def test_the_console_refresh_reads_a_fixed_number_of_queries(stock: Stock) -> None:
    """R-ALR-1: 5 chairs or 20, with readings and alerts, the refresh costs the same."""
    sessions = _in_chairs(stock, 5)
    for session in sessions:
        _vitals(stock, session, systolic=210, diastolic=100, heart_rate=90)
    five = _cards_queries(stock)
    more = _in_chairs(stock, 15)
    for session in more:
        _vitals(stock, session, systolic=210, diastolic=100, heart_rate=90)
    assert len(selectors.console_cards(stock.clinic, stock.now)) == 20
    assert _cards_queries(stock) == five


def test_new_alerts_are_announced_once(stock: Stock) -> None:
    """R-ALR-1: the poll announces alerts newer than the ones it has seen, then stays quiet."""
    (session,) = _in_chairs(stock, 1)
    client = client_for(stock.nurse)
    quiet = client.get(reverse("dosing:console-cards"), {"after": 0}).content.decode()
    assert "hx-swap-oob" not in quiet
    (alert,) = _vitals(stock, session, systolic=205, diastolic=100)
    loud = client.get(reverse("dosing:console-cards"), {"after": 0}).content.decode()
    assert "hx-swap-oob" in loud
    assert "New alert for" in loud
    assert alert.text in loud
    for link in (
        reverse("dosing:acknowledge-alert", args=[session.public_id, alert.pk]),
        reverse("dosing:adverse-event", args=[session.public_id]),
        reverse("dosing:vitals-form", args=[session.public_id]),
    ):
        assert f'"{link}' in loud  # the card's links, built once per card, are the routes
    again = client.get(reverse("dosing:console-cards"), {"after": alert.pk}).content.decode()
    assert "hx-swap-oob" not in again
    assert alert.text in again


def test_an_impossible_reading_is_refused_and_what_was_typed_is_kept(stock: Stock) -> None:
    """R-COD-1: 1200 mmHg is refused with its unit; nothing is stored; the form keeps it."""
    (session,) = _in_chairs(stock, 1)
    url = reverse("dosing:vitals", args=[session.public_id])
    answer = client_for(stock.nurse).post(
        url, {"systolic": "1200", "diastolic": "80", "heart_rate": "7x"}, HTTP_HX_REQUEST="true"
    )
    text = answer.content.decode()
    assert "is not a number of beats/min" in text
    assert 'value="1200"' in text
    assert 'value="7x"' in text
    answer = client_for(stock.nurse).post(url, {"systolic": "1200", "diastolic": "80"})
    assert answer.status_code == 422
    assert "1200 mm[Hg] is not a value a patient can have" in answer.content.decode()
    assert not VitalsSet.objects.filter(session=session).exists()


def test_two_taps_record_a_set_raise_an_alert_and_acknowledge_it(stock: Stock) -> None:
    """R-ALR-1: the card's form records the set; the alert shows; it needs the action taken."""
    (session,) = _in_chairs(stock, 1)
    client = client_for(stock.nurse)
    form = client.get(reverse("dosing:vitals-form", args=[session.public_id])).content.decode()
    assert 'inputmode="decimal"' in form
    assert "LOINC 8480-6" in form
    saved = client.post(
        reverse("dosing:vitals", args=[session.public_id]),
        {"systolic": "205", "diastolic": "125", "heart_rate": "88", "spo2": "97"},
        HTTP_HX_REQUEST="true",
    )
    assert saved["HX-Trigger"] == "vitals-saved"
    alert = SessionAlert.objects.get(session=session, rule_id="R-ALR-1")
    ack = reverse("dosing:acknowledge-alert", args=[session.public_id, alert.pk])
    refused = client.post(ack, {"action_taken": "  "}, HTTP_HX_REQUEST="true")
    assert "Say what was done" in refused.content.decode()
    client.post(
        ack, {"action_taken": "Prescriber told; repeat in 5 minutes"}, HTTP_HX_REQUEST="true"
    )
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert alert.action_taken.startswith("Prescriber")
    assert AuditEvent.objects.filter(action="dosing.alert_acknowledged").exists()


def test_r_alr_6_a_cadss_total_above_4_flags_dissociation(stock: Stock) -> None:
    """R-ALR-6: CADSS 5 raises the dissociation flag; 4 does not; 93 is refused."""
    (session,) = _in_chairs(stock, 1)
    _, none = services.record_vitals(
        actor=stock.nurse,
        session=session,
        readings={},
        cadss_total=4,
        taken_at=stock.now,
        now=stock.now,
    )
    assert none == []
    later = stock.now + timedelta(minutes=10)
    _, raised = services.record_vitals(
        actor=stock.nurse, session=session, readings={}, cadss_total=5, taken_at=later, now=later
    )
    assert [a.rule_id for a in raised] == ["R-ALR-6"]
    with pytest.raises(DosingError, match="CADSS total is 0 to 92"):
        services.record_vitals(
            actor=stock.nurse,
            session=session,
            readings={},
            cadss_total=93,
            taken_at=later,
            now=later,
        )


def test_r_alr_5_loss_of_consciousness_prompts_an_adverse_event_until_recorded(
    stock: Stock,
) -> None:
    """R-ALR-5: MOAA/S 0 raises an alert that asks for the adverse event; once recorded (with
    interventions and outcome, audited) the prompt goes."""
    (session,) = _in_chairs(stock, 1)
    _, (alert,) = services.record_vitals(
        actor=stock.nurse, session=session, readings={}, moaas=0, taken_at=stock.now, now=stock.now
    )
    (card,) = selectors.console_cards(stock.clinic, stock.now)
    assert card.alerts[0].implies == "Loss of consciousness"
    client = client_for(stock.nurse)
    url = reverse("dosing:adverse-event", args=[session.public_id])
    form = client.get(url, {"alert": alert.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert 'value="loss_of_consciousness" selected' in form
    refused = client.post(
        url,
        {
            "alert": alert.pk,
            "kind": "loss_of_consciousness",
            "onset": "09:00",
            "outcome": "resolved",
        },
    )
    assert refused.status_code == 422
    assert "Say what was done" in refused.content.decode()
    client.post(
        url,
        {
            "alert": alert.pk,
            "kind": "loss_of_consciousness",
            "onset": stock.now.astimezone(stock.clinic.tzinfo).strftime("%H:%M"),
            "interventions": "Airway positioned, oxygen 2 L/min",
            "outcome": "resolved_treated",
            "serious": "on",
        },
    )
    event = AdverseEvent.objects.get(session=session)
    assert (event.alert_id, event.serious) == (alert.pk, True)
    (card,) = selectors.console_cards(stock.clinic, stock.now)
    assert card.alerts[0].implies == ""
    assert AuditEvent.objects.filter(action="dosing.adverse_event_recorded").exists()


def test_the_nurses_today_lists_the_chairs_with_checks_and_alerts(stock: Stock) -> None:
    """R-ALR-1, R-SCR-3: Today's chairs list names the open alerts and the check due."""
    first, _second = _in_chairs(stock, 2)
    _vitals(stock, first, systolic=210, diastolic=100)
    text = client_for(stock.nurse).get(reverse("today:today")).content.decode()
    assert "Chairs to watch" in text
    assert "1 open alert to acknowledge" in text
    assert "Baseline vital signs before the dose" in text


def test_another_clinics_session_is_not_found(stock: Stock) -> None:
    """No existence leak: a session of another clinic answers 404 to that clinic's nurse."""
    (session,) = _in_chairs(stock, 1)
    elsewhere = Clinic.objects.exclude(pk=stock.clinic.pk).order_by("id").first()
    assert elsewhere is not None
    nurse = Actor.for_user(staff(elsewhere, Role.NURSE), elsewhere)
    answer = client_for(nurse).get(reverse("dosing:vitals", args=[session.public_id]))
    assert answer.status_code == 404
    assert session.patient.family_name not in answer.content.decode()
