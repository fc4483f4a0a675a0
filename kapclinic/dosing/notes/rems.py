"""The Spravato REMS Patient Monitoring Form, assembled from the session record (R-REMS-5).

``assemble_monitoring_form(session)`` is the one place the form's content comes from: the
form page, its printout and the snapshot stored when the form is marked submitted all call it.
It reads the record (six queries, whatever the session holds) and returns a plain frozen
dataclass. The fields follow the reference's list of the form (§1.2) and the December 2026
update (§U.1: a pulse-oximetry check and a serious-adverse-event block); the form's exact
current wording is UNVERIFIED, so the fields are kapclinic's reading of it (R-REMS-9: the
form's content is versioned configuration; ``FORM_VERSION`` names this one).

What kapclinic does not record yet is ``None`` or empty, and said in ``missing``:
- MERGE POINT (patient REMS enrolment): no model records it yet (see consent.readiness'
  REMS_NOT_RECORDED); set ``rems_enrolment`` from it.
- MERGE POINT (CADSS): dissociation ratings are being added beside this; set ``dissociation``
  and ``highest_cadss`` from them.
- MERGE POINT (adverse events): the adverse-event records are being added beside this; set
  ``adverse_events``, ``serious_adverse_events`` and ``adverse_events_recorded`` from them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from django.core.serializers.json import DjangoJSONEncoder

from kapclinic.dosing.models import Administration, DosingSession, SessionAlert, VitalsSet
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.rules.workflow import State
from kapclinic.patients.interactions import InteractionClass
from kapclinic.patients.models import Medication, RecordStatus

FORM_VERSION: Final = "PMF as read 2026-12 (ref §1.2, §U.1)"
DEVICE_MG: Final = 28
# R-REMS-3: the blood pressure about 40 minutes after the dose, read within 35 to 45 minutes
# (the window's width is a local choice).
BP_40_WINDOW: Final = (35, 45)
# The classes the form asks about (ref §1.2; opioids on newer versions).
PMF_CLASSES: Final = (
    InteractionClass.BENZODIAZEPINE,
    InteractionClass.HYPNOTIC,
    InteractionClass.PSYCHOSTIMULANT,
    InteractionClass.MAOI,
    InteractionClass.OPIOID,
)
RESPIRATORY_ALERT: Final = "R-ALR-4"  # SpO2 below 92%: respiratory depression on the form


@dataclass(frozen=True)
class BloodPressure:
    taken_at: datetime
    systolic: int
    diastolic: int | None
    minutes_after_dose: int | None


@dataclass(frozen=True)
class DoseLine:
    started_at: datetime
    dose_mg: Decimal
    devices: int
    product: str
    lot_number: str
    administered_by: str


@dataclass(frozen=True)
class Concomitant:
    label: str
    medications: tuple[str, ...]


@dataclass(frozen=True)
class MonitoringForm:
    """The form's content, in the order the form asks for it."""

    form_version: str
    # The patient
    patient_name: str
    mrn: str
    birth_date: date
    sex: str
    first_treatment: bool
    concomitant: tuple[Concomitant, ...]
    # The setting and the treatment
    healthcare_setting: str
    monitoring_providers: tuple[str, ...]
    treatment_date: date
    doses: tuple[DoseLine, ...]
    total_dose_mg: Decimal
    dose_given: str  # "56 mg", "84 mg" or "Other: 28 mg"
    lot_numbers: tuple[str, ...]
    # The monitoring, as R-REMS-3 and R-REMS-4 ask for it
    first_device_at: datetime | None
    ready_to_leave_at: datetime | None
    monitoring_ended_at: datetime | None
    total_monitoring_minutes: int | None
    bp_before: BloodPressure | None
    bp_at_40: BloodPressure | None
    bp_before_end: BloodPressure | None
    # Pulse oximetry (§U.1)
    pulse_oximetry_checked: bool
    spo2_readings: int
    lowest_spo2: Decimal | None
    # What the patient experienced
    sedation: bool | None  # MOAA/S below 5 after the dose; None: no rating recorded
    lowest_moaas: int | None
    respiratory_depression: bool
    alerts: tuple[str, ...]
    # MERGE POINT: the fields below are filled once their records exist (module docstring).
    rems_enrolment: str | None = None
    dissociation: bool | None = None
    highest_cadss: int | None = None
    adverse_events: tuple[str, ...] = ()
    serious_adverse_events: tuple[str, ...] = ()
    adverse_events_recorded: bool = False
    missing: tuple[str, ...] = field(default=())


def _bp(v: VitalsSet, dosed_at: datetime | None) -> BloodPressure:
    minutes = None if dosed_at is None else int((v.taken_at - dosed_at) / timedelta(minutes=1))
    return BloodPressure(
        taken_at=v.taken_at,
        systolic=int(v.systolic or 0),
        diastolic=None if v.diastolic is None else int(v.diastolic),
        minutes_after_dose=minutes,
    )


def _blood_pressures(
    vitals: list[VitalsSet], dosed_at: datetime | None
) -> tuple[BloodPressure | None, BloodPressure | None, BloodPressure | None]:
    """R-REMS-3: before the dose, about 40 minutes after it, and the last before the end."""
    with_bp = [v for v in vitals if v.systolic is not None]
    before = [v for v in with_bp if v.pre_dose]
    after = [v for v in with_bp if not v.pre_dose]
    at_40 = None
    if dosed_at is not None:
        low, high = BP_40_WINDOW
        window = [v for v in after if low <= (v.taken_at - dosed_at) / timedelta(minutes=1) <= high]
        at_40 = min(
            window,
            key=lambda v: abs((v.taken_at - dosed_at) / timedelta(minutes=1) - 40),
            default=None,
        )
    last = after[-1] if after else None
    late = last if last is not None and last is not at_40 else None
    return (
        _bp(before[-1], dosed_at) if before else None,
        _bp(at_40, dosed_at) if at_40 is not None else None,
        _bp(late, dosed_at) if late is not None else None,
    )


def _dose_given(total: Decimal) -> str:
    if total in {Decimal(56), Decimal(84)}:
        return f"{int(total)} mg"
    return f"Other: {total.normalize():f} mg"


def _concomitant(session: DosingSession) -> tuple[Concomitant, ...]:
    active = Medication.objects.filter(
        patient=session.patient,
        status=RecordStatus.ACTIVE,
        interaction_class__in=[c.value for c in PMF_CLASSES],
    ).order_by("name")
    by_class: dict[str, list[str]] = {c.value: [] for c in PMF_CLASSES}
    for medication in active:
        by_class[medication.interaction_class].append(medication.name)
    return tuple(Concomitant(str(c.label), tuple(by_class[c.value])) for c in PMF_CLASSES)


def _moves(session: DosingSession) -> tuple[datetime | None, datetime | None]:
    """When the patient was judged ready to leave, and when monitoring ended (discharge)."""
    ready = ended = None
    for move in session.moves.order_by("at", "id"):
        if move.to_state == State.READY_FOR_DISCHARGE.value:
            ready = move.at
        elif move.to_state == State.DISCHARGED.value:
            ended = move.at
    return ready, ended


def _missing(form: dict[str, Any], esketamine: bool) -> tuple[str, ...]:
    gaps = []
    if not esketamine:
        gaps.append("This is not an esketamine session: no REMS form is due for it.")
    if form["rems_enrolment"] is None:
        gaps.append("Patient REMS enrolment: not recorded in kapclinic; take it from the REMS.")
    if not form["doses"]:
        gaps.append("No dose is recorded.")
    if form["bp_before"] is None:
        gaps.append("No blood pressure before the dose (R-REMS-3).")
    if form["bp_at_40"] is None:
        gaps.append("No blood pressure 35 to 45 minutes after the first device (R-REMS-3).")
    if form["bp_before_end"] is None:
        gaps.append("No blood pressure after the 40-minute check, before the end (R-REMS-3).")
    if not form["pulse_oximetry_checked"]:
        gaps.append("No pulse oximetry reading after the dose.")
    if form["monitoring_ended_at"] is None:
        gaps.append("Monitoring has not ended: the patient is not discharged yet.")
    if form["lowest_moaas"] is None:
        gaps.append("No sedation rating (MOAA/S) after the dose.")
    if form["dissociation"] is None:
        gaps.append("Dissociation (CADSS): not recorded in kapclinic; answer from the notes.")
    if not form["adverse_events_recorded"]:
        gaps.append("Adverse events: not recorded in kapclinic; answer from the notes.")
    return tuple(gaps)


def session_day(session: DosingSession) -> date:
    """The clinic's local date of the first device: the day the form counts from (R-REMS-5)."""
    dosed = session.dosed_at or session.state_changed_at
    return dosed.astimezone(session.clinic.tzinfo).date()


def assemble_monitoring_form(session: DosingSession) -> MonitoringForm:
    """R-REMS-5: the Patient Monitoring Form of ``session``, from its record (one function;
    the lead adds the CADSS and adverse-event fields at the MERGE POINTs)."""
    patient = session.patient
    clinic = session.clinic
    vitals = list(session.vitals.select_related("recorded_by").order_by("taken_at", "id"))
    doses = list(
        Administration.objects.filter(session=session)
        .select_related("lot__product", "administered_by")
        .order_by("started_at", "id")
    )
    dosed_at = session.dosed_at or (doses[0].started_at if doses else None)
    alerts = list(SessionAlert.objects.filter(session=session).order_by("raised_at", "id"))
    earlier = (
        Administration.objects.filter(
            session__patient=patient, session__drug=Drug.ESKETAMINE, started_at__lt=dosed_at
        ).exclude(session=session)
        if dosed_at is not None
        else Administration.objects.none()
    )
    after = [v for v in vitals if not v.pre_dose]
    spo2 = [v.spo2 for v in after if v.spo2 is not None]
    moaas = [v.moaas for v in after if v.moaas is not None]
    ready, ended = _moves(session)
    total = sum((d.dose_mg for d in doses), Decimal(0))
    end = ended or ready
    bp_before, bp_at_40, bp_before_end = _blood_pressures(vitals, dosed_at)
    providers = sorted({v.recorded_by.display_name for v in after})
    content: dict[str, Any] = {
        "form_version": FORM_VERSION,
        "patient_name": f"{patient.given_name} {patient.family_name}",
        "mrn": patient.mrn,
        "birth_date": patient.birth_date,
        "sex": patient.get_sex_display(),
        "first_treatment": dosed_at is not None and not earlier.exists(),
        "concomitant": _concomitant(session),
        "healthcare_setting": clinic.name,
        "monitoring_providers": tuple(providers),
        "treatment_date": session_day(session),
        "doses": tuple(
            DoseLine(
                started_at=d.started_at,
                dose_mg=d.dose_mg,
                devices=int(d.dose_mg // DEVICE_MG),
                product=d.lot.product.name,
                lot_number=d.lot.number,
                administered_by=d.administered_by.display_name,
            )
            for d in doses
        ),
        "total_dose_mg": total,
        "dose_given": _dose_given(total),
        "lot_numbers": tuple(sorted({d.lot.number for d in doses})),
        "first_device_at": dosed_at,
        "ready_to_leave_at": ready,
        "monitoring_ended_at": ended,
        "total_monitoring_minutes": (
            int((end - dosed_at) / timedelta(minutes=1)) if end and dosed_at else None
        ),
        "bp_before": bp_before,
        "bp_at_40": bp_at_40,
        "bp_before_end": bp_before_end,
        "pulse_oximetry_checked": bool(spo2),
        "spo2_readings": len(spo2),
        "lowest_spo2": min(spo2) if spo2 else None,
        "sedation": (min(moaas) < 5) if moaas else None,
        "lowest_moaas": min(moaas) if moaas else None,
        "respiratory_depression": any(a.rule_id == RESPIRATORY_ALERT for a in alerts),
        "alerts": tuple(f"{a.rule_id}: {a.text}" for a in alerts),
        # MERGE POINT: rems_enrolment, dissociation, highest_cadss, adverse_events,
        # serious_adverse_events, adverse_events_recorded (module docstring).
        "rems_enrolment": None,
        "dissociation": None,
        "highest_cadss": None,
        "adverse_events": (),
        "serious_adverse_events": (),
        "adverse_events_recorded": False,
    }
    content["missing"] = _missing(content, session.drug == Drug.ESKETAMINE)
    return MonitoringForm(**content)


def snapshot(form: MonitoringForm) -> tuple[dict[str, Any], str]:
    """The form as JSON-ready data, and the SHA-256 of its canonical JSON (stored when the form
    is marked submitted, so what was sent can be shown as it was)."""
    text = json.dumps(asdict(form), cls=DjangoJSONEncoder, sort_keys=True)
    return json.loads(text), hashlib.sha256(text.encode()).hexdigest()
