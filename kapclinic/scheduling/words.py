"""A protocol in words, for its page: durations, resources, spacing stages and outline steps.
Pure: plain values in, sentences out."""

from __future__ import annotations

from kapclinic.scheduling.protocols.definition import (
    CADENCE_LABELS,
    EQUIPMENT_LABELS,
    ROOM_KIND_LABELS,
    OutlineStep,
    Protocol,
    Resources,
    SpacingStage,
)


def minutes_words(minutes: int) -> str:
    """'50 min', '2 h', '2 h 45 min'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _listed(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def resources_words(resources: Resources) -> list[str]:
    room = ROOM_KIND_LABELS[resources.room_kind]
    equipment = [EQUIPMENT_LABELS[item] for item in resources.equipment]
    lines = [f"{room} with {_listed(equipment)}" if equipment else room]
    if resources.patients_per_nurse is not None:
        count = resources.patients_per_nurse
        lines.append(
            "a monitoring nurse for this patient alone"
            if count == 1
            else f"a monitoring nurse for every {count} patients"
        )
    if resources.prescriber_on_site:
        lines.append("a prescriber on site")
    if resources.therapist:
        lines.append("a therapist with the patient")
    return lines


def _weeks(stage: SpacingStage) -> str:
    if stage.to_week is None:
        return f"From week {stage.from_week}"
    if stage.to_week == stage.from_week:
        return f"Week {stage.from_week}"
    return f"Weeks {stage.from_week}-{stage.to_week}"


def stage_words(stage: SpacingStage) -> str:
    """'Weeks 1-4: at least 2 and at most 5 days apart; at most 2 a week.'"""
    apart = f"at least {stage.min_days_between} day{'s' if stage.min_days_between != 1 else ''}"
    if stage.max_days_between is not None:
        apart = f"at least {stage.min_days_between} and at most {stage.max_days_between} days"
    words = f"{_weeks(stage)}: {apart} apart"
    if stage.max_per_week is not None:
        words += f"; at most {stage.max_per_week} a week"
    return words + "."


def step_words(protocol: Protocol, step: OutlineStep) -> str:
    """'4 to 6 × KAP dosing session, each followed by an Integration session 1-3 days later
    (after every dose).'"""
    session = protocol.session_type(step.session_type)
    name = session.name if session is not None else step.session_type
    count = (
        f"{step.min_count}"
        if step.min_count == step.max_count
        else f"{step.min_count} to {step.max_count}"
    )
    words = f"{count} × {name}"
    integration = step.integration
    if integration is not None:
        target = protocol.session_type(integration.session_type)
        target_name = target.name if target is not None else integration.session_type
        days = (
            f"{integration.min_days_after}-{integration.max_days_after} days"
            if integration.min_days_after != integration.max_days_after
            else f"{integration.min_days_after} days"
        )
        words += (
            f", followed by {target_name.lower()} {days} later "
            f"({CADENCE_LABELS[integration.cadence]})"
        )
    return words
