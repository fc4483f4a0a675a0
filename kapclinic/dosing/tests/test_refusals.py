"""Every refusal of the dosing services writes nothing and says why (issue 15; R-IV-1, R-ESK-5,
R-ALR-5, R-COD-1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.dose import Verdict
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services import DosingError
from kapclinic.dosing.services.doses import check_dose
from kapclinic.dosing.tests.test_session_flow import _dose_for, _dosing
from kapclinic.ledger.models import Entry
from kapclinic.ledger.tests.conftest import Stock, staff
from kapclinic.scheduling.models import Appointment


def _dose(stock: Stock, session: DosingSession, **changes: object) -> None:
    call: dict[str, object] = {
        "actor": stock.nurse,
        "session": session,
        "lot": stock.vials,
        "account": stock.safe,
        "dose_mg": _dose_for(session),
        "started_at": stock.now,
        "ended_at": stock.now,
        "now": stock.now,
        **changes,
    }
    services.record_dose(**call)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dose_mg": "a lot"}, "not a dose"),
        ({"ended_at": "before"}, "ends after it starts"),
        ({"lot": "devices"}, "pick a lot of it"),
    ],
)
def test_a_dose_that_cannot_be_given_is_refused(
    stock: Stock, receive: Callable[..., Entry], changes: dict[str, object], message: str
) -> None:
    session, _ = _dosing(stock, receive)
    if changes.get("ended_at") == "before":
        changes = {"ended_at": stock.now - timedelta(minutes=1)}
    if changes.get("lot") == "devices":
        changes = {"lot": stock.devices}
    before = Entry.objects.count()
    with pytest.raises(DosingError, match=message):
        _dose(stock, session, **changes)
    assert Entry.objects.count() == before


def test_a_warned_dose_needs_a_written_confirmation(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-IV-1: 0.75-1.0 mg/kg warns; the prescriber (not the nurse) confirms in words."""
    session, _ = _dosing(stock, receive)
    high = (_dose_for(session) * Decimal("1.8")).quantize(Decimal("0.1"))
    with pytest.raises(DosingError):
        _dose(stock, session, dose_mg=high, actor=stock.prescriber)
    with pytest.raises(DosingError, match="A prescriber confirms"):
        _dose(stock, session, dose_mg=high, confirm_warning="Tolerated 0.9 mg/kg last time")
    _dose(
        stock,
        session,
        dose_mg=high,
        actor=stock.prescriber,
        confirm_warning="Tolerated 0.9 mg/kg last time",
    )
    assert session.doses.get().confirmed_warning.startswith("Tolerated")


def test_a_dose_the_ledger_cannot_cover_is_refused_as_a_dosing_error(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-CS-2 through the ledger: no stock, no dose recorded."""
    session, _ = _dosing(stock, receive)
    with pytest.raises(DosingError, match="below zero"):
        _dose(stock, session, account=stock.cart)
    assert not session.doses.exists()


def test_a_dose_is_recorded_only_while_dosing(stock: Stock, receive: Callable[..., Entry]) -> None:
    session, nurse = _dosing(stock, receive)
    session = services.move(
        actor=nurse,
        session=session,
        target=State.ABORTED,
        now=stock.now,
        reason="Patient asked to stop",
    )
    with pytest.raises(DosingError, match="while the session is dosing"):
        _dose(stock, session)


def test_readings_that_say_nothing_or_come_from_the_future_are_refused(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    session, nurse = _dosing(stock, receive)
    for readings, moaas, taken, message in (
        ({}, None, stock.now, "at least one"),
        ({VitalKind.HEART_RATE: Decimal(70)}, 7, stock.now, "0 to 5"),
        ({VitalKind.HEART_RATE: Decimal(70)}, None, stock.now + timedelta(hours=1), "future"),
    ):
        with pytest.raises(DosingError, match=message):
            services.record_vitals(
                actor=nurse,
                session=session,
                readings=readings,
                moaas=moaas,
                taken_at=taken,
                now=stock.now,
            )


def test_r_alr_5_loss_of_consciousness_raises_an_alert(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-ALR-5: MOAA/S 0."""
    session, nurse = _dosing(stock, receive)
    _, raised = services.record_vitals(
        actor=nurse, session=session, readings={}, moaas=0, taken_at=stock.now, now=stock.now
    )
    assert [a.rule_id for a in raised] == ["R-ALR-5"]
    services.acknowledge_alert(
        actor=nurse, alert=raised[0], action_taken="Airway checked", now=stock.now
    )
    with pytest.raises(DosingError, match="already acknowledged"):
        services.acknowledge_alert(
            actor=nurse, alert=raised[0], action_taken="Acknowledged twice", now=stock.now
        )


def test_an_ended_session_takes_no_readings(stock: Stock, receive: Callable[..., Entry]) -> None:
    session, nurse = _dosing(stock, receive)
    session = services.move(
        actor=nurse,
        session=session,
        target=State.ABORTED,
        now=stock.now,
        reason="Patient asked to stop",
    )
    session.state = State.DISCHARGED.value  # as if observed and discharged
    with pytest.raises(DosingError, match="has ended"):
        services.record_vitals(
            actor=nurse,
            session=session,
            readings={VitalKind.HEART_RATE: Decimal(70)},
            taken_at=stock.now,
            now=stock.now,
        )


def test_only_a_dosing_appointment_of_ones_own_clinic_opens_a_session(stock: Stock) -> None:
    other = Clinic.objects.exclude(pk=stock.clinic.pk).first()
    assert other is not None
    theirs = Appointment.objects.filter(clinic=other).first()
    assert theirs is not None
    with pytest.raises(DosingError, match="not in your clinic"):
        services.open_session(actor=stock.nurse, appointment=theirs, now=stock.now)
    talk = (
        Appointment.objects.filter(clinic=stock.clinic)
        .exclude(
            session_type__in=[
                "infusion",
                "booster",
                "kap-dose",
                "induction-dose",
                "maintenance-dose",
            ]
        )
        .first()
    )
    assert talk is not None
    with pytest.raises(DosingError, match="Only a dosing appointment"):
        services.open_session(actor=stock.nurse, appointment=talk, now=stock.now)


def test_an_escort_must_be_named(stock: Stock, receive: Callable[..., Entry]) -> None:
    """R-DC-1."""
    session, nurse = _dosing(stock, receive)
    with pytest.raises(DosingError, match="Name the adult"):
        services.record_escort(
            actor=nurse,
            session=session,
            escort_name="  ",
            no_driving_acknowledged=True,
            now=stock.now,
        )


def test_an_override_needs_a_reason(stock: Stock, receive: Callable[..., Entry]) -> None:
    session, _ = _dosing(stock, receive)
    prescriber = Actor.for_user(staff(stock.clinic, Role.PRESCRIBER), stock.clinic)
    with pytest.raises(DosingError, match="Say why"):
        services.move(
            actor=prescriber,
            session=session,
            target=State.OBSERVATION,
            now=stock.now,
            override_discharge=True,
        )


def test_r_esk_5_an_esketamine_session_checks_devices_and_whole_milligrams(stock: Stock) -> None:
    """R-ESK-1, R-ESK-5: the first dose is 56 mg under 65, in 28 mg devices."""
    appointment = Appointment.objects.filter(
        clinic=stock.clinic, session_type="induction-dose"
    ).first()
    assert appointment is not None
    session = services.open_session(actor=stock.nurse, appointment=appointment, now=stock.now)
    assert (
        services.open_session(actor=stock.nurse, appointment=appointment, now=stock.now) == session
    )
    assert check_dose(session, Decimal("56.5"), on=stock.now).message.startswith("Esketamine doses")
    check = check_dose(session, Decimal(56), on=stock.now)
    if session.patient.age_on(stock.now.date()) < 65:
        assert check.verdict == Verdict.OK
        assert "2 device(s)" in check.arithmetic
