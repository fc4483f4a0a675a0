"""The discharge summary and the patient's take-home instructions (issue 15.7; R-DC-1,
R-REMS-6), written once by ``move`` when a session becomes discharged, in its transaction."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from kapclinic.dosing.models import DischargeSummary, DosingSession
from kapclinic.dosing.rules import discharge
from kapclinic.dosing.services.facts import discharge_facts

# R-REMS-6 / R-DC-1: the label's instruction, in the patient's words.
NO_DRIVING = (
    "Do not drive, cycle or operate machinery until the next day, after a restful sleep. "
    "Someone else takes you home today."
)


def _hm(moment: datetime | None, session: DosingSession) -> str:
    if moment is None:
        return "not recorded"
    return f"{timezone.localtime(moment, session.clinic.tzinfo):%H:%M}"


def summary_text(session: DosingSession, now: datetime) -> str:
    """The record of the session, for the chart and the patient: what was given, when, how
    long the patient was observed, and how the discharge criteria stood."""
    lines = [
        f"{session.get_drug_display()} session at {session.clinic.name}, "
        f"{timezone.localtime(now, session.clinic.tzinfo):%a %d %b %Y}.",
    ]
    for given in session.doses.select_related("lot__product", "administered_by"):
        lines.append(
            f"Dose: {given.dose_mg.normalize():f} mg ({given.lot.product.name}, lot "
            f"{given.lot.number}), {_hm(given.started_at, session)}-{_hm(given.ended_at, session)}"
            f", given by {given.administered_by.display_name}. Check: {given.arithmetic}."
        )
    if session.dosed_at is not None:
        minutes = int((now - session.dosed_at).total_seconds() // 60)
        lines.append(
            f"Observed {minutes} minutes after the dose (the protocol's minimum is "
            f"{session.minimum_observation_minutes})."
        )
    else:
        lines.append("No dose was given.")
    for moved in session.moves.filter(reason__gt=""):
        lines.append(f"{moved.get_to_state_display()} at {_hm(moved.at, session)}: {moved.reason}")
    unmet = discharge.unmet(discharge_facts(session), now)
    if not unmet:
        lines.append("Discharge criteria met (R-DC-1, R-DC-2).")
    else:
        lines.append(
            "Discharged on a prescriber's override: "
            f"{session.discharge_override_reason} (not met: "
            + "; ".join(u.text for u in unmet)
            + ")"
        )
    if session.escort_name:
        lines.append(f"Escort: {session.escort_name}.")
    return "\n".join(lines)


def instructions_text(session: DosingSession) -> str:
    """What the patient takes home (R-DC-1, R-REMS-6): no driving until the next day after a
    restful sleep, and whom to call (the clinic's phone from its settings)."""
    clinic = session.clinic
    call = (
        f"If anything worries you, call {clinic.name} on {clinic.phone}."
        if clinic.phone
        else f"If anything worries you, call {clinic.name}."
    )
    return "\n".join(
        [
            NO_DRIVING,
            "Do not make important decisions or drink alcohol for the rest of the day.",
            "Rest, eat lightly and drink water. Some dizziness, nausea or tiredness is common "
            "and passes.",
            call,
            "In an emergency (chest pain, trouble breathing, fainting) call 911.",
        ]
    )


def write_discharge_summary(session: DosingSession, now: datetime) -> DischargeSummary:
    summary, _ = DischargeSummary.objects.get_or_create(
        session=session,
        defaults={
            "patient_id": session.patient_id,
            "discharged_at": now,
            "summary": summary_text(session, now),
            "instructions": instructions_text(session),
            "clinic_phone": session.clinic.phone,
        },
    )
    return summary
