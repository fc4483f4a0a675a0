"""Dosing tests use the ledger's stock fixtures (a clinic's accounts and lots, set up through
the ledger's services), work a session's pre-dose checklist through the services and, for the
pages, book an infusion (``tests.pages.booked``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from kapclinic.accounts.actor import Actor
from kapclinic.consent import services as consent_services
from kapclinic.consent.models import ConsentRecord, TreatmentType
from kapclinic.consent.readiness import REMS_NOT_RECORDED, can_start_dosing
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.services.checklist import YES_NO
from kapclinic.dosing.tests.pages import booked
from kapclinic.ledger.tests.conftest import receive, stock
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import CheckItem

__all__ = ["booked", "complete_checklist", "countersign_pending", "ready", "receive", "stock"]


def ready(appointment: Appointment, now: datetime) -> bool:
    """Whether the appointment's patient has valid consent and eligibility and no safety hold
    (``can_start_dosing``; the REMS records are the checklist's own items)."""
    treatment = TreatmentType(appointment.course.protocol.modality)
    reasons = can_start_dosing(appointment.patient, treatment, now=now).blocking_reasons
    return all(reason == REMS_NOT_RECORDED for reason in reasons)


def countersign_pending(appointment: Appointment, prescriber: Actor, now: datetime) -> bool:
    """Countersign the patient's signed consents still waiting for staff, through consent's
    service (the demo leaves some waiting), and say whether the patient is now ready."""
    waiting = ConsentRecord.objects.filter(
        patient=appointment.patient,
        countersigned_at__isnull=True,
        withdrawn_at__isnull=True,
        patient_agreed=True,
    )
    for record in waiting:
        consent_services.countersign(actor=prescriber, record=record, now=now)
    return ready(appointment, now)


def complete_checklist(
    session: DosingSession, nurse: Actor, prescriber: Actor, now: datetime
) -> DosingSession:
    """Work a session's pre-dose checklist through the services, as a nurse would (issue
    15.3): identity, fasting, pregnancy, medications, escort, the pre-dose blood pressure and,
    for esketamine, the REMS items; a prescriber overrides what still does not pass and may be
    overridden (e.g. a questionnaire the demo patient has not answered)."""
    items = services.checklist_of(session, now).config.items
    for item in items:
        if item in YES_NO:
            services.record_check(actor=nurse, session=session, item=item, answer="yes", now=now)
    if CheckItem.FASTING in items:
        services.record_check(
            actor=nurse,
            session=session,
            item=CheckItem.FASTING,
            answer="times",
            now=now,
            last_food_at=now - timedelta(hours=3),
            last_liquid_at=now - timedelta(hours=1),
        )
    if CheckItem.PREGNANCY in items and session.patient.pregnancy_potential != "no":
        services.record_check(
            actor=nurse, session=session, item=CheckItem.PREGNANCY, answer="not_pregnant", now=now
        )
    services.record_escort(
        actor=nurse,
        session=session,
        escort_name="Alex Example",
        no_driving_acknowledged=True,
        now=now,
    )
    services.record_vitals(
        actor=nurse,
        session=session,
        readings={
            VitalKind.SYSTOLIC: Decimal(128),
            VitalKind.DIASTOLIC: Decimal(82),
            VitalKind.HEART_RATE: Decimal(72),
            VitalKind.SPO2: Decimal(98),
        },
        taken_at=now,
        now=now,
    )
    for result in services.checklist_of(session, now).results:
        if not result.clear and result.overridable:
            services.override_check(
                actor=prescriber,
                session=session,
                item=result.item,
                reason="Reviewed with the patient before the dose.",
                now=now,
            )
    return session
