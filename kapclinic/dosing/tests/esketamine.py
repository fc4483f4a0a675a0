"""An esketamine session of the generated clinic, taken through dosing's own services: a booked
esketamine dosing appointment opened (``open_session``), checked in with pre-dose vitals,
dosed from the ledger's devices, monitored (the 40-minute blood pressure, pulse oximetry,
MOAA/S) and, when asked, discharged after the two hours of R-REMS-4."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from kapclinic.accounts.actor import Actor
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.tests.conftest import complete_checklist, countersign_pending
from kapclinic.ledger.models import Entry
from kapclinic.ledger.tests.conftest import Stock
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import Modality

ESKETAMINE_DOSING = ("induction-dose", "maintenance-dose")


def _vitals(systolic: int, diastolic: int, spo2: int) -> dict[VitalKind, Decimal]:
    return {
        VitalKind.SYSTOLIC: Decimal(systolic),
        VitalKind.DIASTOLIC: Decimal(diastolic),
        VitalKind.HEART_RATE: Decimal(74),
        VitalKind.SPO2: Decimal(spo2),
    }


@dataclass(frozen=True)
class EsketamineSession:
    session: DosingSession
    nurse: Actor
    dosed_at: datetime


def esketamine_appointments(stock: Stock) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            clinic=stock.clinic,
            course__protocol__modality=Modality.ESKETAMINE_REMS.value,
            session_type__in=ESKETAMINE_DOSING,
        )
        .select_related("patient", "course__protocol")
        .order_by("starts_at", "id")
    )


def esketamine_session(
    stock: Stock,
    receive: Callable[..., Entry],
    *,
    dosed_at: datetime,
    discharge: bool = True,
    appointment: Appointment | None = None,
) -> EsketamineSession:
    """A dosed esketamine session whose first device went in at ``dosed_at``."""
    receive(stock, stock.devices, 6)
    found = appointment or next(iter(esketamine_appointments(stock)), None)
    if found is None:
        pytest.fail("the demo books esketamine dosing appointments")
    nurse = stock.nurse
    before = dosed_at - timedelta(minutes=15)
    session = services.open_session(actor=nurse, appointment=found, now=before)
    session = services.move(actor=nurse, session=session, target=State.CHECKED_IN, now=before)
    countersign_pending(found, stock.prescriber, before)
    complete_checklist(session, nurse, stock.prescriber, before)
    session = services.move(actor=nurse, session=session, target=State.CHECKS_PASSED, now=before)
    session = services.move(actor=nurse, session=session, target=State.DOSING, now=dosed_at)
    mg = 28 if session.patient.age_on(dosed_at.date()) >= 65 else 56
    services.record_dose(
        actor=nurse,
        session=session,
        lot=stock.devices,
        account=stock.safe,
        dose_mg=str(mg),
        started_at=dosed_at,
        ended_at=dosed_at + timedelta(minutes=5),
        now=dosed_at + timedelta(minutes=5),
    )
    at_40 = dosed_at + timedelta(minutes=40)
    session = services.move(actor=nurse, session=session, target=State.OBSERVATION, now=at_40)
    services.record_vitals(
        actor=nurse,
        session=session,
        readings=_vitals(148, 88, 96),
        moaas=4,
        taken_at=at_40,
        now=at_40,
    )
    if discharge:
        end = dosed_at + timedelta(minutes=125)
        services.record_vitals(
            actor=nurse,
            session=session,
            readings=_vitals(128, 80, 98),
            moaas=5,
            taken_at=end,
            now=end,
        )
        services.record_escort(
            actor=nurse,
            session=session,
            escort_name="A. Friend",
            no_driving_acknowledged=True,
            now=end,
        )
        # R-REMS-4's attestation has no service yet (the discharge page is being built beside
        # this): recorded here as that page will record it.
        DosingSession.objects.filter(pk=session.pk).update(stable_attested_by=stock.prescriber.user)
        session.refresh_from_db()
        session = services.move(
            actor=nurse, session=session, target=State.READY_FOR_DISCHARGE, now=end
        )
        session = services.move(actor=nurse, session=session, target=State.DISCHARGED, now=end)
    return EsketamineSession(session=session, nurse=nurse, dosed_at=dosed_at)
