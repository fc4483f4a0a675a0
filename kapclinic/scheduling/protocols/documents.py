"""A ``Protocol`` back to the JSON document a version stores and the edit form shows: the
inverse of ``parser.parse_protocol`` (kept apart so that each module stays within its size)."""

from __future__ import annotations

from kapclinic.scheduling.protocols.definition import (
    Monitoring,
    OutlineStep,
    PreDoseChecks,
    Protocol,
    SessionType,
    SpacingStage,
)


def _monitoring_document(monitoring: Monitoring) -> dict[str, object]:
    return {
        "during_dose_minutes": monitoring.during_dose_minutes,
        "after_dose_minutes": monitoring.after_dose_minutes,
        "bp_check_after_dose_minutes": monitoring.bp_check_after_dose_minutes,
        "bp_check_window_minutes": monitoring.bp_check_window_minutes,
        "overdue_after_minutes": monitoring.overdue_after_minutes,
        "rule_id": monitoring.rule_id,
    }


def _checks_document(checks: PreDoseChecks) -> dict[str, object]:
    return {
        "items": [item.value for item in checks.items],
        "fasting_food_hours": checks.fasting_food_hours,
        "fasting_liquid_minutes": checks.fasting_liquid_minutes,
        "bp_hold_systolic": checks.bp_hold_systolic,
        "bp_hold_diastolic": checks.bp_hold_diastolic,
    }


def _session_document(session: SessionType) -> dict[str, object]:
    document = _session_core_document(session)
    if session.pre_dose_checks is not None:
        document["pre_dose_checks"] = _checks_document(session.pre_dose_checks)
    return document


def _session_core_document(session: SessionType) -> dict[str, object]:
    return {
        "code": session.code,
        "name": session.name,
        "kind": session.kind.value,
        "phases": [
            {
                "name": p.name,
                "minutes": p.minutes,
                **({"observation": True} if p.observation else {}),
            }
            for p in session.phases
        ],
        "resources": {
            "room_kind": session.resources.room_kind.value,
            "equipment": [item.value for item in session.resources.equipment],
            "patients_per_nurse": session.resources.patients_per_nurse,
            "prescriber_on_site": session.resources.prescriber_on_site,
            "therapist": session.resources.therapist,
        },
        "instructions": list(session.instructions),
        "sources": list(session.sources),
    }


def _step_document(step: OutlineStep) -> dict[str, object]:
    document: dict[str, object] = {
        "session_type": step.session_type,
        "min_count": step.min_count,
        "max_count": step.max_count,
        "rule_id": step.rule_id,
    }
    if step.integration is not None:
        document["integration"] = {
            "session_type": step.integration.session_type,
            "cadence": step.integration.cadence.value,
            "min_days_after": step.integration.min_days_after,
            "max_days_after": step.integration.max_days_after,
            "rule_id": step.integration.rule_id,
        }
    if step.note:
        document["note"] = step.note
    return document


def _stage_document(stage: SpacingStage) -> dict[str, object]:
    document: dict[str, object] = {
        "name": stage.name,
        "from_week": stage.from_week,
        "to_week": stage.to_week,
        "min_days_between": stage.min_days_between,
        "max_days_between": stage.max_days_between,
        "max_per_week": stage.max_per_week,
        "rule_id": stage.rule_id,
    }
    if stage.note:
        document["note"] = stage.note
    return document


def to_document(protocol: Protocol) -> dict[str, object]:
    """The JSON document of ``protocol``: ``parse_protocol(to_document(p)) == p``."""
    document: dict[str, object] = {
        "code": protocol.code,
        "name": protocol.name,
        "modality": protocol.modality.value,
        "summary": protocol.summary,
        "sources": [{"rule_id": s.rule_id, "text": s.text} for s in protocol.sources],
        "session_types": [_session_document(s) for s in protocol.session_types],
        "outline": [_step_document(step) for step in protocol.outline],
        "spacing": {
            "session_types": list(protocol.spacing.session_types),
            "stages": [_stage_document(stage) for stage in protocol.spacing.stages],
        },
        "measurement_plan": protocol.measurement_plan,
        "clinic_settings": [
            {"what": s.what, "value": s.value, "why": s.why} for s in protocol.clinic_settings
        ],
    }
    if protocol.monitoring is not None:
        document["monitoring"] = _monitoring_document(protocol.monitoring)
    return document
