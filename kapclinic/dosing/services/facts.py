"""What the pure rules need to know of a session, read from its record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kapclinic.consent.models import TreatmentType
from kapclinic.consent.readiness import REMS_NOT_RECORDED, can_start_dosing
from kapclinic.dosing.models import CheckAnswer, CheckOverride, DosingSession, VitalsSet
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.rules import checklist
from kapclinic.dosing.rules.discharge import DischargeFacts
from kapclinic.measurement.models import Assignment, Occasion
from kapclinic.measurement.safety.services import blocking_safety_reasons
from kapclinic.patients.interactions import InteractionClass
from kapclinic.patients.models import Medication, PregnancyPotential
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import (
    CheckItem,
    PreDoseChecks,
    default_pre_dose_checks,
)
from kapclinic.scheduling.protocols.parser import parse_protocol


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def discharge_facts(session: DosingSession) -> DischargeFacts:
    vitals = list(session.vitals.order_by("taken_at", "id"))
    baseline: VitalsSet | None = next((v for v in reversed(vitals) if v.pre_dose), None)
    latest: VitalsSet | None = next((v for v in reversed(vitals) if not v.pre_dose), None)
    return DischargeFacts(
        esketamine=session.drug == Drug.ESKETAMINE,
        dosed_at=session.dosed_at,
        minimum_observation=timedelta(minutes=session.minimum_observation_minutes),
        baseline_systolic=_int(baseline.systolic) if baseline else None,
        latest_systolic=_int(latest.systolic) if latest else None,
        baseline_heart_rate=_int(baseline.heart_rate) if baseline else None,
        latest_heart_rate=_int(latest.heart_rate) if latest else None,
        latest_moaas=next((v.moaas for v in reversed(vitals) if v.moaas is not None), None),
        escort_recorded=bool(session.escort_name.strip()),
        no_driving_acknowledged=session.no_driving_acknowledged_at is not None,
        clinician_attested_stable=session.stable_attested_by_id is not None,
    )


@dataclass(frozen=True)
class Checklist:
    """A session's pre-dose checklist as it stands: the protocol's items and parameters, each
    item's result, and the latest recorded answer per item (for the page)."""

    config: PreDoseChecks
    results: tuple[checklist.CheckResult, ...]
    answers: dict[CheckItem, CheckAnswer]
    overrides: dict[CheckItem, CheckOverride]

    @property
    def clear(self) -> bool:
        return checklist.all_clear(self.results)

    @property
    def hold_reason(self) -> str | None:
        return checklist.hold_reason(self.results)


def protocol_checks(session: DosingSession) -> PreDoseChecks:
    """The pre-dose checklist the session's protocol version sets for its session type."""
    appointment = session.appointment
    protocol = parse_protocol(appointment.course.protocol.document)
    session_type = protocol.session_type(appointment.session_type)
    if session_type is None:  # open_session refuses such an appointment; kept safe anyway
        return default_pre_dose_checks(protocol.modality)
    return protocol.pre_dose_checks(session_type)


def _answer(answers: dict[CheckItem, CheckAnswer], item: CheckItem) -> bool | None:
    found = answers.get(item)
    return None if found is None else found.answer == CheckAnswer.Answer.YES


def _interaction_changes(session: DosingSession) -> tuple[str, ...]:
    """Medications of a ketamine-relevant class added or changed since the patient's last
    attended visit (or since the course was planned, before the first)."""
    appointment = session.appointment
    last = (
        Appointment.objects.filter(
            patient_id=session.patient_id,
            attended_at__isnull=False,
            starts_at__lt=appointment.starts_at,
        )
        .exclude(pk=appointment.pk)
        .order_by("-starts_at")
        .values_list("attended_at", flat=True)
        .first()
    )
    since = last or appointment.course.created_at
    changed = Medication.objects.filter(patient_id=session.patient_id, updated_at__gt=since)
    return tuple(
        f"{m.name} ({InteractionClass(m.interaction_class).label.split(' (')[0].lower()})"
        for m in changed.exclude(interaction_class="").order_by("name")
    )


def checklist_facts(
    session: DosingSession,
    answers: dict[CheckItem, CheckAnswer],
    overrides: dict[CheckItem, CheckOverride],
    now: datetime,
) -> checklist.ChecklistFacts:
    appointment = session.appointment
    patient = session.patient
    treatment = TreatmentType(appointment.course.protocol.modality)
    safety = tuple(blocking_safety_reasons(patient))
    readiness = can_start_dosing(patient, treatment, now=now)
    # The safety hold is its own item; the REMS records are the checklist's REMS items
    # (R-REMS-1), so neither is repeated under consent and eligibility.
    others = tuple(
        r for r in readiness.blocking_reasons if r not in safety and r != REMS_NOT_RECORDED
    )
    fasting = answers.get(CheckItem.FASTING)
    pregnancy = answers.get(CheckItem.PREGNANCY)
    baseline = (
        session.vitals.filter(pre_dose=True, systolic__isnull=False)
        .order_by("-taken_at", "-id")
        .first()
    )
    open_questionnaires = Assignment.objects.filter(
        session_ref=appointment.public_id,
        occasion=Occasion.PRE_SESSION,
        status__in=[Assignment.Status.OPEN, Assignment.Status.MISSED],
    ).values_list("instrument_code", flat=True)
    return checklist.ChecklistFacts(
        now=now,
        identity_confirmed=_answer(answers, CheckItem.IDENTITY),
        readiness_reasons=others,
        safety_reasons=safety,
        last_food_at=fasting.last_food_at if fasting else None,
        last_liquid_at=fasting.last_liquid_at if fasting else None,
        escort_recorded=bool(session.escort_name.strip()),
        no_driving_acknowledged=session.no_driving_acknowledged_at is not None,
        pregnancy_possible=patient.pregnancy_potential != PregnancyPotential.NO,
        pregnancy=checklist.Pregnancy(pregnancy.answer) if pregnancy else None,
        medications_reviewed=_answer(answers, CheckItem.MEDICATIONS),
        interaction_changes=_interaction_changes(session),
        systolic=_int(baseline.systolic) if baseline else None,
        diastolic=_int(baseline.diastolic) if baseline else None,
        open_questionnaires=tuple(sorted(set(open_questionnaires))),
        rems_enrolment=_answer(answers, CheckItem.REMS_ENROLMENT),
        rems_setting=_answer(answers, CheckItem.REMS_SETTING),
        rems_prescriber=_answer(answers, CheckItem.REMS_PRESCRIBER),
        rems_pulse_oximeter=_answer(answers, CheckItem.REMS_PULSE_OXIMETER),
        overrides={item: o.reason for item, o in overrides.items()},
    )


def checklist_of(session: DosingSession, now: datetime) -> Checklist:
    """The session's pre-dose checklist now (issue 15.3): the one evaluation ``move``, the
    page and the panel all use. A constant number of queries."""
    config = protocol_checks(session)
    answers: dict[CheckItem, CheckAnswer] = {}
    for answer in session.check_answers.select_related("recorded_by").order_by("recorded_at", "id"):
        answers[CheckItem(answer.item)] = answer  # the latest wins
    overrides = {
        CheckItem(o.item): o for o in session.check_overrides.select_related("by").order_by("at")
    }
    facts = checklist_facts(session, answers, overrides, now)
    return Checklist(config, checklist.evaluate(config, facts), answers, overrides)
