"""The checks across a protocol document, run once its shape is right (``parser``).

References point at real session types; the outline, integration and spacing fit together; and
an esketamine protocol keeps the label and REMS rules no clinic may change: twice weekly at most
in weeks 1-4 (R-ESK-1), at most weekly from week 5 (R-ESK-3), a prescriber on site, a monitoring
nurse and a pulse oximeter at every dosing session (R-REMS-2), and at least two hours of
observation after administration (R-REMS-4). Each problem is one sentence naming its place.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from kapclinic.scheduling.protocols.definition import (
    DEFAULT_FASTING_FOOD_HOURS,
    DEFAULT_FASTING_LIQUID_MINUTES,
    REMS_CHECKS,
    REQUIRED_CHECKS,
    CheckItem,
    Equipment,
    Modality,
    Protocol,
    SessionKind,
)

# R-REMS-4: observed for at least two hours after administration (label boxed warning; REMS).
REMS_OBSERVATION_MINUTES: Final = 120
# R-ESK-1 (weeks 1-4: twice weekly) and R-ESK-3 (weeks 5-8 weekly; week 9 on weekly or every
# two weeks): the most esketamine sessions a course week may hold.
ESKETAMINE_MOST_PER_WEEK: Final = ((1, 4, 2), (5, None, 1))
# The longest stage checked against the label when the last stage is open-ended.
_LABEL_WEEKS_CHECKED: Final = 60
MAX_SESSION_MINUTES: Final = 720


def _repeated(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _session_type_problems(protocol: Protocol) -> list[str]:
    problems = []
    for code in _repeated([s.code for s in protocol.session_types]):
        problems.append(f"session type '{code}' is defined more than once")
    for session in protocol.session_types:
        if session.minutes > MAX_SESSION_MINUTES:
            problems.append(
                f"session type '{session.code}' lasts {session.minutes} minutes in all; "
                f"a session lasts at most {MAX_SESSION_MINUTES} minutes"
            )
        if session.kind is SessionKind.DOSING and session.resources.patients_per_nurse is None:
            problems.append(
                f"session type '{session.code}' is a dosing session: it needs a monitoring "
                "nurse ('patients_per_nurse')"
            )
    return problems


def _outline_problems(protocol: Protocol) -> list[str]:
    known = {s.code: s for s in protocol.session_types}
    problems = []
    for code in _repeated([step.session_type for step in protocol.outline]):
        problems.append(f"the outline lists session type '{code}' in more than one step")
    integrated: set[str] = set()
    for number, step in enumerate(protocol.outline, start=1):
        where = f"outline step {number}"
        if step.session_type not in known:
            problems.append(f"{where}: there is no session type '{step.session_type}'")
        if step.min_count > step.max_count:
            problems.append(
                f"{where}: at least {step.min_count} but at most {step.max_count} sessions"
            )
        integration = step.integration
        if integration is None:
            continue
        integrated.add(integration.session_type)
        dose = known.get(step.session_type)
        if dose is not None and dose.kind is not SessionKind.DOSING:
            problems.append(f"{where}: integration follows doses, and '{dose.code}' is not one")
        target = known.get(integration.session_type)
        if target is None:
            problems.append(f"{where}: there is no session type '{integration.session_type}'")
        elif target.kind is not SessionKind.INTEGRATION:
            problems.append(f"{where}: '{target.code}' is not an integration session type")
        if integration.min_days_after > integration.max_days_after:
            problems.append(
                f"{where}: integration from {integration.min_days_after} days after the dose "
                f"cannot end {integration.max_days_after} days after it"
            )
    stepped = {step.session_type for step in protocol.outline}
    for code in sorted(integrated & stepped):
        problems.append(
            f"session type '{code}' follows doses as integration: it cannot be an outline step too"
        )
    for session in protocol.session_types:
        if session.code not in stepped | integrated:
            problems.append(f"session type '{session.code}' is not used by the outline")
    return problems


def _spacing_problems(protocol: Protocol) -> list[str]:
    stepped = {step.session_type for step in protocol.outline}
    problems = [
        f"spacing counts session type '{code}', which is not an outline step"
        for code in protocol.spacing.session_types
        if code not in stepped
    ]
    previous_end: int | None = 0
    for number, stage in enumerate(protocol.spacing.stages, start=1):
        where = f"spacing stage {number} ({stage.name})"
        if previous_end is None:
            problems.append(f"{where} comes after an open-ended stage")
        elif stage.from_week != previous_end + 1:
            problems.append(
                f"{where} must start in week {previous_end + 1}, not week {stage.from_week}"
            )
        if stage.to_week is not None and stage.to_week < stage.from_week:
            problems.append(f"{where} ends in week {stage.to_week}, before it starts")
        if stage.max_days_between is not None and stage.max_days_between < stage.min_days_between:
            problems.append(
                f"{where}: at most {stage.max_days_between} days between sessions is less than "
                f"the least, {stage.min_days_between}"
            )
        previous_end = stage.to_week
    return problems


def _esketamine_problems(protocol: Protocol) -> list[str]:
    if protocol.modality is not Modality.ESKETAMINE_REMS:
        return []
    problems = []
    for session in protocol.session_types:
        if session.kind is not SessionKind.DOSING:
            continue
        where = f"session type '{session.code}' (esketamine, REMS)"
        if not session.resources.prescriber_on_site:
            problems.append(f"{where}: a prescriber must be on site (R-REMS-2)")
        if Equipment.PULSE_OXIMETER not in session.resources.equipment:
            problems.append(f"{where}: a pulse oximeter must be at hand (R-REMS-2)")
        if session.observation_minutes < REMS_OBSERVATION_MINUTES:
            problems.append(
                f"{where}: the phases marked as observation last {session.observation_minutes} "
                f"minutes; the patient is observed for at least {REMS_OBSERVATION_MINUTES} "
                "minutes after administration (R-REMS-4)"
            )
    spacing = protocol.spacing
    for first, last, most in ESKETAMINE_MOST_PER_WEEK:
        for week in range(first, (last or _LABEL_WEEKS_CHECKED) + 1):
            stage = spacing.stage_for(week)
            if stage is None:
                continue
            if stage.max_per_week is None or stage.max_per_week > most:
                rule = "R-ESK-1" if week <= 4 else "R-ESK-3"
                allowed = "twice" if most == 2 else "once"
                problems.append(
                    f"spacing stage '{stage.name}': esketamine is given at most {allowed} a "
                    f"week in week {week} ({rule}); set 'max_per_week' to {most} or less"
                )
                break
    return problems


def _pre_dose_check_problems(protocol: Protocol) -> list[str]:
    """Issue 15.3: only dosing sessions have a pre-dose checklist; it keeps the checks no
    protocol may drop; an esketamine one keeps the REMS checks (R-REMS-1/2) and the label's
    fasting (R-REMS-8: no food 2 hours, no liquids 30 minutes before; stricter is allowed)."""
    problems = []
    esketamine = protocol.modality is Modality.ESKETAMINE_REMS
    for session in protocol.session_types:
        checks = session.pre_dose_checks
        if checks is None:
            continue
        where = f"session type '{session.code}'"
        if session.kind is not SessionKind.DOSING:
            problems.append(f"{where}: only a dosing session has pre-dose checks")
            continue
        needed = REQUIRED_CHECKS | (REMS_CHECKS | {CheckItem.FASTING} if esketamine else set())
        missing = sorted(item.value for item in needed - set(checks.items))
        if missing:
            problems.append(f"{where}: the pre-dose checks must include {', '.join(missing)}")
        if not esketamine and set(checks.items) & REMS_CHECKS:
            problems.append(f"{where}: the REMS checks are for esketamine only (R-REMS-1/2)")
        if esketamine and (
            checks.fasting_food_hours < DEFAULT_FASTING_FOOD_HOURS
            or checks.fasting_liquid_minutes < DEFAULT_FASTING_LIQUID_MINUTES
        ):
            problems.append(
                f"{where} (esketamine): no food for at least {DEFAULT_FASTING_FOOD_HOURS} hours "
                f"and no liquids for at least {DEFAULT_FASTING_LIQUID_MINUTES} minutes before "
                "the dose (R-REMS-8)"
            )
        if checks.bp_hold_diastolic >= checks.bp_hold_systolic:
            problems.append(f"{where}: the diastolic hold is not below the systolic one")
    return problems


def _monitoring_problems(protocol: Protocol) -> list[str]:
    """Issue 15.5: a monitoring section belongs to a protocol with doses; an esketamine
    protocol keeps the blood pressure about 40 minutes after the dose (R-REMS-3)."""
    monitoring = protocol.monitoring
    if monitoring is None:
        return []
    problems = []
    if not any(s.kind is SessionKind.DOSING for s in protocol.session_types):
        problems.append("monitoring: the protocol has no dosing session to monitor")
    if (
        protocol.modality is Modality.ESKETAMINE_REMS
        and monitoring.bp_check_after_dose_minutes is None
    ):
        problems.append(
            "monitoring: esketamine needs the blood pressure about 40 minutes after the dose "
            "('bp_check_after_dose_minutes', R-REMS-3)"
        )
    bp_at = monitoring.bp_check_after_dose_minutes
    if bp_at is not None and monitoring.bp_check_window_minutes >= bp_at:
        problems.append(
            f"monitoring: a window of {monitoring.bp_check_window_minutes} minutes either side "
            f"of the check at {bp_at} minutes starts before the dose"
        )
    return problems


def cross_checks(protocol: Protocol) -> list[str]:
    """Every problem across the document (empty when it is consistent)."""
    problems = _session_type_problems(protocol)
    problems += _pre_dose_check_problems(protocol)
    problems += _outline_problems(protocol)
    problems += _spacing_problems(protocol)
    problems += _esketamine_problems(protocol)
    problems += _monitoring_problems(protocol)
    return problems
