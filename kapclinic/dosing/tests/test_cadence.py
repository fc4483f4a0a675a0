"""The monitoring cadence (issue 15.5) as protocol data and as a pure rule: R-IV-4, R-REMS-3,
R-SL-2, and the baseline before the dose (R-SCR-3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from kapclinic.dosing.console.selectors import as_cadence
from kapclinic.dosing.rules.cadence import (
    Cadence,
    NextCheck,
    Phase,
    Status,
    next_check,
    phase_of,
)
from kapclinic.dosing.rules.workflow import State
from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.protocols.definition import DEFAULT_MONITORING, Modality
from kapclinic.scheduling.protocols.parser import parse_protocol, to_document
from kapclinic.scheduling.protocols.shipped import DATA_DIR, shipped_protocols

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
IV = as_cadence(DEFAULT_MONITORING[Modality.RACEMIC_KETAMINE_OFF_LABEL])
ESK = as_cadence(DEFAULT_MONITORING[Modality.ESKETAMINE_REMS])


def _maybe(cadence: Cadence, phase: Phase, now: datetime, **facts: object) -> NextCheck | None:
    defaults: dict[str, object] = {
        "phase_started_at": T0,
        "dosed_at": T0,
        "last_vitals_at": None,
        "last_bp_at": None,
        "baseline_taken": True,
    }
    return next_check(cadence=cadence, phase=phase, now=now, **(defaults | facts))  # type: ignore[arg-type]


def _check(cadence: Cadence, phase: Phase, now: datetime, **facts: object) -> NextCheck:
    found = _maybe(cadence, phase, now, **facts)
    assert found is not None
    return found


def test_r_iv_4_every_10_minutes_during_the_infusion_and_15_after() -> None:
    """R-IV-4."""
    during = _check(IV, Phase.DURING_DOSE, T0 + timedelta(minutes=5), last_vitals_at=T0)
    assert during.due_at == T0 + timedelta(minutes=10)
    assert during.status == Status.NOT_DUE
    assert "every 10 minutes during the dose" in during.what
    after = _check(
        IV, Phase.AFTER_DOSE, T0 + timedelta(minutes=50), last_vitals_at=T0 + timedelta(minutes=40)
    )
    assert after.due_at == T0 + timedelta(minutes=55)
    assert after.rule_id == "R-IV-4"


def test_r_iv_4_a_check_late_beyond_the_clinics_grace_is_overdue() -> None:
    """R-IV-4: due at 10 minutes, due now for 2 minutes (the clinic's), then overdue."""
    last = {"last_vitals_at": T0}
    assert _check(IV, Phase.DURING_DOSE, T0 + timedelta(minutes=11), **last).status == Status.DUE
    late = _check(IV, Phase.DURING_DOSE, T0 + timedelta(minutes=13), **last)
    assert late.status == Status.OVERDUE
    assert late.overdue
    assert late.seconds_left(T0 + timedelta(minutes=13)) == -180


def test_r_rems_3_blood_pressure_about_40_minutes_after_the_first_device() -> None:
    """R-REMS-3: the 40-minute blood pressure comes before the regular check and is overdue
    after its window until a blood pressure is taken."""
    readings = {
        "last_vitals_at": T0 + timedelta(minutes=30),
        "last_bp_at": T0 - timedelta(minutes=5),
    }
    soon = _check(ESK, Phase.AFTER_DOSE, T0 + timedelta(minutes=31), **readings)
    assert (soon.rule_id, soon.due_at, soon.status) == (
        "R-REMS-3",
        T0 + timedelta(minutes=40),
        Status.NOT_DUE,
    )
    assert "40 minutes" in soon.what
    window = _check(ESK, Phase.AFTER_DOSE, T0 + timedelta(minutes=37), **readings)
    assert window.status == Status.DUE
    missed = _check(ESK, Phase.AFTER_DOSE, T0 + timedelta(minutes=46), **readings)
    assert (missed.rule_id, missed.status) == ("R-REMS-3", Status.OVERDUE)
    taken = T0 + timedelta(minutes=38)
    done = _check(
        ESK, Phase.AFTER_DOSE, T0 + timedelta(minutes=46), last_vitals_at=taken, last_bp_at=taken
    )
    assert done.rule_id == "R-REMS-3"
    assert done.due_at == taken + timedelta(minutes=15)
    assert "every 15 minutes" in done.what


def test_r_scr_3_the_baseline_is_due_at_once_before_the_dose_then_nothing() -> None:
    """R-SCR-3: before the dose the baseline set is due; once taken no check is due until the
    dose; an ended session has none."""
    due = _check(
        IV, Phase.BEFORE_DOSE, T0 + timedelta(minutes=5), dosed_at=None, baseline_taken=False
    )
    assert (due.due_at, due.status, due.rule_id) == (T0, Status.OVERDUE, "R-SCR-3")
    assert _maybe(IV, Phase.BEFORE_DOSE, T0, dosed_at=None) is None
    assert _maybe(IV, Phase.ENDED, T0) is None


def test_the_phase_follows_the_session_state() -> None:
    """R-IV-4: the dosing state is "during the dose"; observation, ready, aborted are after."""
    assert phase_of(State.CHECKED_IN, dosed=False) == Phase.BEFORE_DOSE
    assert phase_of(State.DOSING, dosed=False) == Phase.DURING_DOSE
    assert phase_of(State.OBSERVATION, dosed=True) == Phase.AFTER_DOSE
    assert phase_of(State.HELD, dosed=True) == Phase.AFTER_DOSE
    assert phase_of(State.HELD, dosed=False) == Phase.BEFORE_DOSE
    assert phase_of(State.DISCHARGED, dosed=True) == Phase.ENDED


def test_r_iv_4_r_rems_3_the_shipped_protocols_carry_their_cadence() -> None:
    """R-IV-4, R-REMS-3, R-SL-2: each shipped dosing protocol has a monitoring section that
    survives its document round trip; talk therapy has none."""
    by_code = {p.code: p for p in shipped_protocols()}
    assert by_code["iv-ketamine-induction"].monitoring_cadence.during_dose_minutes == 10  # type: ignore[union-attr]
    assert by_code["iv-ketamine-induction"].monitoring_cadence.after_dose_minutes == 15  # type: ignore[union-attr]
    assert by_code["esketamine-rems"].monitoring_cadence.bp_check_after_dose_minutes == 40  # type: ignore[union-attr]
    assert by_code["kap-im-sl"].monitoring_cadence.rule_id == "R-SL-2"  # type: ignore[union-attr]
    assert by_code["cbt-comparison"].monitoring_cadence is None
    for protocol in shipped_protocols():
        assert parse_protocol(to_document(protocol)) == protocol


def _document(code: str) -> dict[str, object]:
    return json.loads((DATA_DIR / f"{code}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_a_protocol_without_a_monitoring_section_follows_the_references_default() -> None:
    """R-IV-4: documents written before the section existed keep working."""
    document = _document("iv-ketamine-induction")
    del document["monitoring"]
    protocol = parse_protocol(document)
    assert protocol.monitoring is None
    assert protocol.monitoring_cadence == DEFAULT_MONITORING[Modality.RACEMIC_KETAMINE_OFF_LABEL]


def test_r_rems_3_a_bad_monitoring_section_is_refused_in_words() -> None:
    """R-REMS-3: esketamine keeps its 40-minute blood pressure; numbers are checked."""
    document = _document("esketamine-rems")
    document["monitoring"] = {
        "during_dose_minutes": 0,
        "after_dose_minutes": 15,
        "bp_check_after_dose_minutes": None,
        "bp_check_window_minutes": 5,
        "overdue_after_minutes": 2,
        "rule_id": "R-REMS-3",
        "colour": "red",
    }
    with pytest.raises(ProtocolDefinitionError) as error:
        parse_protocol(document)
    text = " ".join(error.value.problems)
    assert "'during_dose_minutes' must be a whole number from 1 to 120, not 0" in text
    assert "unknown entry 'colour'" in text
    document["monitoring"] = {
        "during_dose_minutes": 15,
        "after_dose_minutes": 15,
        "bp_check_after_dose_minutes": None,
        "bp_check_window_minutes": 5,
        "overdue_after_minutes": 2,
        "rule_id": "R-REMS-3",
    }
    with pytest.raises(ProtocolDefinitionError, match="R-REMS-3"):
        parse_protocol(document)
