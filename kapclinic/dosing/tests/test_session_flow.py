"""A dosing session from check-in to discharge through the one transition function (issue 15.1),
with the dose debiting the ledger in the same transaction (issue 15.4, ADR 0009)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession, SessionAlert
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services import DosingError
from kapclinic.dosing.services.integration import book_integration, integration_of
from kapclinic.dosing.tests.conftest import complete_checklist, countersign_pending
from kapclinic.dosing.tests.esketamine import esketamine_appointments
from kapclinic.ledger.models import Entry, EntryKind, Holding
from kapclinic.ledger.tests.conftest import Stock, staff
from kapclinic.patients.selectors import latest_weight_kg
from kapclinic.scheduling.models import Appointment

BP = {VitalKind.SYSTOLIC: Decimal(128), VitalKind.DIASTOLIC: Decimal(82)}


def _iv_appointment(stock: Stock) -> Appointment:
    appointments = Appointment.objects.filter(
        clinic=stock.clinic, session_type="infusion"
    ).select_related("patient", "course__protocol")
    for appointment in appointments:
        weighed = latest_weight_kg(appointment.patient) is not None
        if weighed and countersign_pending(appointment, stock.prescriber, stock.now):
            return appointment
    pytest.fail("the demo has an IV infusion for a weighed, consented, eligible patient")


def _dosing(stock: Stock, receive: Callable[..., Entry]) -> tuple[DosingSession, Actor]:
    receive(stock, stock.vials, 2)
    appointment = _iv_appointment(stock)
    nurse = stock.nurse
    session = services.open_session(actor=nurse, appointment=appointment, now=stock.now)
    session = services.move(actor=nurse, session=session, target=State.CHECKED_IN, now=stock.now)
    complete_checklist(session, nurse, stock.prescriber, stock.now)
    session = services.move(actor=nurse, session=session, target=State.CHECKS_PASSED, now=stock.now)
    session = services.move(actor=nurse, session=session, target=State.DOSING, now=stock.now)
    return session, nurse


def _dose_for(session: DosingSession) -> Decimal:
    weight = latest_weight_kg(session.patient)
    assert weight is not None
    return (Decimal("0.5") * weight).quantize(Decimal("0.1"))


def test_a_dose_debits_the_ledger_in_the_same_transaction(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-IV-1, R-CS-2: the checked dose, and the ledger's administration entry for it."""
    session, nurse = _dosing(stock, receive)
    mg = _dose_for(session)
    given = services.record_dose(
        actor=nurse,
        session=session,
        lot=stock.vials,
        account=stock.safe,
        dose_mg=mg,
        started_at=stock.now,
        ended_at=stock.now + timedelta(minutes=40),
        now=stock.now + timedelta(minutes=40),
    )
    entry = given.ledger_entry
    assert (entry.kind, entry.quantity_mg, entry.patient_id) == (
        EntryKind.ADMINISTRATION,
        -mg,
        session.patient_id,
    )
    assert "mg/kg" in given.arithmetic
    holding = Holding.objects.get(account=stock.safe, lot=stock.vials)
    assert holding.balance_mg == Decimal(1000) - mg


def test_an_anaesthetic_range_dose_is_refused_and_nothing_is_debited(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-IV-1: above 1.0 mg/kg is blocked; the ledger is untouched."""
    session, nurse = _dosing(stock, receive)
    before = Entry.objects.count()
    with pytest.raises(DosingError, match="anaesthetic range"):
        services.record_dose(
            actor=nurse,
            session=session,
            lot=stock.vials,
            account=stock.safe,
            dose_mg=_dose_for(session) * 3,
            started_at=stock.now,
            ended_at=stock.now,
            now=stock.now,
        )
    assert Entry.objects.count() == before


def test_discharge_waits_for_the_criteria_then_the_session_ends(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-DC-1, R-DC-2: minimum observation, vitals back near baseline, sedation resolved,
    escort and the no-driving instruction; the session cannot skip to discharged."""
    session, nurse = _dosing(stock, receive)
    services.record_dose(
        actor=nurse,
        session=session,
        lot=stock.vials,
        account=stock.safe,
        dose_mg=_dose_for(session),
        started_at=stock.now,
        ended_at=stock.now + timedelta(minutes=40),
        now=stock.now + timedelta(minutes=40),
    )
    later = stock.now + timedelta(minutes=45)
    session = services.move(actor=nurse, session=session, target=State.OBSERVATION, now=later)
    services.record_vitals(
        actor=nurse,
        session=session,
        readings={**BP, VitalKind.HEART_RATE: Decimal(76)},
        moaas=5,
        taken_at=later,
        now=later,
    )
    services.record_escort(
        actor=nurse,
        session=session,
        escort_name="A. Friend",
        no_driving_acknowledged=True,
        now=later,
    )
    with pytest.raises(DosingError, match="discharge criteria"):
        services.move(actor=nurse, session=session, target=State.READY_FOR_DISCHARGE, now=later)
    with pytest.raises(DosingError, match="cannot become"):
        services.move(actor=nurse, session=session, target=State.DISCHARGED, now=later)
    done = stock.now + timedelta(minutes=61)
    session = services.move(
        actor=nurse, session=session, target=State.READY_FOR_DISCHARGE, now=done
    )
    session = services.move(actor=nurse, session=session, target=State.DISCHARGED, now=done)
    assert [m.to_state for m in session.moves.all()][-2:] == ["ready_for_discharge", "discharged"]


def test_a_high_blood_pressure_raises_an_alert_once_until_acknowledged(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-ALR-1: > 200/120 once raises; re-evaluating never repeats it; acknowledging needs the
    action taken."""
    session, nurse = _dosing(stock, receive)
    high = {VitalKind.SYSTOLIC: Decimal(205), VitalKind.DIASTOLIC: Decimal(118)}
    _, raised = services.record_vitals(
        actor=nurse, session=session, readings=high, taken_at=stock.now, now=stock.now
    )
    assert [a.rule_id for a in raised] == ["R-ALR-1"]
    _, again = services.record_vitals(
        actor=nurse, session=session, readings=BP, taken_at=stock.now, now=stock.now
    )
    assert again == []
    with pytest.raises(DosingError):
        services.acknowledge_alert(actor=nurse, alert=raised[0], action_taken="", now=stock.now)
    done = services.acknowledge_alert(
        actor=nurse,
        alert=raised[0],
        action_taken="Prescriber informed, recheck in 5 min",
        now=stock.now,
    )
    assert SessionAlert.objects.get(pk=done.pk).acknowledged_by == nurse.user


def test_an_impossible_reading_is_refused_and_nothing_is_stored(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-COD-1: values no patient has are refused, with the unit."""
    session, nurse = _dosing(stock, receive)
    count = session.vitals.count()
    with pytest.raises(DosingError, match="/min"):
        services.record_vitals(
            actor=nurse,
            session=session,
            readings={VitalKind.HEART_RATE: Decimal(1200)},
            taken_at=stock.now,
            now=stock.now,
        )
    assert session.vitals.count() == count


def test_only_a_prescriber_overrides_the_discharge_criteria_with_a_reason(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-DC-2: an override needs a prescriber and a reason."""
    session, nurse = _dosing(stock, receive)
    services.record_dose(
        actor=nurse,
        session=session,
        lot=stock.vials,
        account=stock.safe,
        dose_mg=_dose_for(session),
        started_at=stock.now,
        ended_at=stock.now,
        now=stock.now,
    )
    session = services.move(actor=nurse, session=session, target=State.OBSERVATION, now=stock.now)
    with pytest.raises(DosingError, match="Only a prescriber"):
        services.move(
            actor=nurse,
            session=session,
            target=State.READY_FOR_DISCHARGE,
            now=stock.now,
            reason="Patient insists on leaving",
            override_discharge=True,
        )
    prescriber = Actor.for_user(staff(stock.clinic, Role.PRESCRIBER), stock.clinic)
    moved = services.move(
        actor=prescriber,
        session=session,
        target=State.READY_FOR_DISCHARGE,
        now=stock.now,
        reason="Leaves against advice with escort, documented",
        override_discharge=True,
    )
    assert moved.discharge_override_by == prescriber.user


def test_a_retried_dose_is_recorded_and_debited_once(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-CS-2: the dose is typed once; a retry (a double tap, a lost response) returns it."""
    session, nurse = _dosing(stock, receive)
    call = {
        "actor": nurse,
        "session": session,
        "lot": stock.vials,
        "account": stock.safe,
        "dose_mg": _dose_for(session),
        "started_at": stock.now,
        "ended_at": stock.now,
        "now": stock.now,
    }
    first = services.record_dose(**call)  # type: ignore[arg-type]
    again = services.record_dose(**call)  # type: ignore[arg-type]
    assert first.pk == again.pk
    assert Entry.objects.filter(patient=session.patient, kind=EntryKind.ADMINISTRATION).count() == 1
    with pytest.raises(DosingError, match="already recorded"):
        services.record_dose(**{**call, "account": stock.cart})  # type: ignore[arg-type]


def test_r_int_1_a_course_without_integration_sessions_offers_none_to_book(stock: Stock) -> None:
    """R-INT-1: the esketamine protocol schedules no integration session, so booking one from
    its session is refused with the reason and nothing is booked."""
    appointment = next(iter(esketamine_appointments(stock)), None)
    if appointment is None:
        pytest.fail("the demo books esketamine dosing appointments")
    session = services.open_session(actor=stock.nurse, appointment=appointment, now=stock.now)
    assert integration_of(session) is None
    before = Appointment.objects.count()
    with pytest.raises(DosingError, match="no integration session to book"):
        book_integration(
            actor=stock.nurse,
            session=session,
            starts_at=appointment.starts_at + timedelta(days=1),
            room=appointment.room,
            therapist=None,
            now=stock.now,
        )
    assert Appointment.objects.count() == before
