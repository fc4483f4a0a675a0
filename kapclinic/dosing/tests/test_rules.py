"""The dosing session's pure rules (issue 15): vitals, alerts, doses, discharge, workflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapclinic.dosing.rules import alerts, discharge, dose, vitals, workflow
from kapclinic.dosing.rules.alerts import Reading, SessionAlertSeverity, Symptom
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import Guards, State

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def bp(minute: int, systolic: int, diastolic: int, **more: int) -> Reading:
    values = {VitalKind.SYSTOLIC: Decimal(systolic), VitalKind.DIASTOLIC: Decimal(diastolic)}
    values.update({VitalKind(k): Decimal(v) for k, v in more.items()})
    return Reading(T0 + timedelta(minutes=minute), values)


def rules_of(found: list[alerts.Alert]) -> list[str]:
    return [a.rule_id for a in found]


def test_r_cod_1_every_vital_carries_its_loinc_code_and_unit() -> None:
    """R-COD-1."""
    assert vitals.VITALS[VitalKind.SYSTOLIC].loinc == "8480-6"
    assert vitals.VITALS[VitalKind.SPO2].loinc == "59408-5"
    assert vitals.BLOOD_PRESSURE_PANEL == "85354-9"
    assert all(spec.unit for spec in vitals.VITALS.values())


def test_an_impossible_reading_is_refused_with_its_unit() -> None:
    problem = vitals.reading_problem(VitalKind.HEART_RATE, Decimal(1200))
    assert problem is not None
    assert "/min" in problem
    assert vitals.reading_problem(VitalKind.HEART_RATE, Decimal(120)) is None
    assert vitals.reading_problem(VitalKind.SPO2, Decimal("97.5")) is not None


def test_a_blood_pressure_needs_both_halves_the_right_way_round() -> None:
    assert vitals.set_problems({VitalKind.SYSTOLIC: Decimal(120)})
    swapped = vitals.set_problems(
        {VitalKind.SYSTOLIC: Decimal(80), VitalKind.DIASTOLIC: Decimal(120)}
    )
    assert "swapped" in swapped[0]


def test_r_alr_1_one_reading_above_200_120_raises_at_once() -> None:
    """R-ALR-1."""
    assert rules_of(alerts.vital_alerts([bp(0, 205, 100)])) == ["R-ALR-1"]


def test_r_alr_1_above_180_110_needs_two_readings_5_minutes_apart() -> None:
    """R-ALR-1."""
    assert alerts.vital_alerts([bp(0, 185, 100), bp(3, 186, 100)]) == []
    found = alerts.vital_alerts([bp(0, 185, 100), bp(3, 186, 100), bp(5, 184, 95)])
    assert rules_of(found) == ["R-ALR-1"]
    assert found[0].severity == SessionAlertSeverity.ACT_NOW
    # A normal reading between them breaks the run.
    assert alerts.vital_alerts([bp(0, 185, 100), bp(3, 130, 80), bp(6, 185, 100)]) == []


def test_r_alr_2_a_heart_rate_above_120_for_5_minutes() -> None:
    """R-ALR-2."""
    hr = VitalKind.HEART_RATE
    readings = [Reading(T0 + timedelta(minutes=m), {hr: Decimal(125)}) for m in (0, 2, 5)]
    assert rules_of(alerts.vital_alerts(readings)) == ["R-ALR-2"]
    assert alerts.vital_alerts(readings[:2]) == []


def test_r_alr_4_spo2_below_92() -> None:
    """R-ALR-4."""
    assert rules_of(alerts.vital_alerts([Reading(T0, {VitalKind.SPO2: Decimal(91)})])) == [
        "R-ALR-4"
    ]
    assert alerts.vital_alerts([Reading(T0, {VitalKind.SPO2: Decimal(92)})]) == []


def test_r_alr_3_symptoms_raise_whatever_the_numbers() -> None:
    """R-ALR-3."""
    found = alerts.symptom_alert(frozenset({Symptom.CHEST_PAIN}), T0)
    assert found is not None
    assert found.rule_id == "R-ALR-3"
    assert alerts.symptom_alert(frozenset(), T0) is None


def test_r_alr_5_and_6_sedation_and_dissociation() -> None:
    """R-ALR-5, R-ALR-6."""
    lost = alerts.sedation_alert(0, T0)
    assert lost is not None
    assert lost.rule_id == "R-ALR-5"
    assert alerts.sedation_alert(3, T0) is None
    with pytest.raises(ValueError, match="0 to 5"):
        alerts.sedation_alert(6, T0)
    assert alerts.dissociation_alert(4, T0) is None
    flagged = alerts.dissociation_alert(5, T0)
    assert flagged is not None
    assert flagged.rule_id == "R-ALR-6"


def test_r_iv_1_bands_show_their_arithmetic() -> None:
    """R-IV-1."""
    ok = dose.weight_based(Decimal(35), Decimal(70))
    assert (ok.verdict, ok.arithmetic) == (dose.Verdict.OK, "35 mg / 70 kg = 0.500 mg/kg")
    assert dose.weight_based(Decimal(60), Decimal(70)).verdict == dose.Verdict.WARN
    assert dose.weight_based(Decimal(71), Decimal(70)).verdict == dose.Verdict.BLOCK
    assert dose.weight_based(Decimal(35), Decimal(0)).verdict == dose.Verdict.BLOCK
    assert dose.dose_for_weight(Decimal("0.5"), Decimal("71.3")) == Decimal("35.7")


@given(st.decimals(min_value=Decimal(1), max_value=Decimal(300), places=1))
def test_r_iv_1_the_prescribed_half_mg_per_kg_is_never_blocked(weight: Decimal) -> None:
    """R-IV-1."""
    order = dose.dose_for_weight(Decimal("0.5"), weight)
    assert dose.weight_based(order, weight).verdict == dose.Verdict.OK


def test_r_esk_1_2_5_devices_and_first_doses() -> None:
    """R-ESK-1, R-ESK-2, R-ESK-5."""
    check = dose.esketamine(84, first_dose=False, age=40)
    assert check.verdict == dose.Verdict.OK
    assert "3 device(s)" in check.arithmetic
    assert dose.esketamine(84, first_dose=True, age=40).rule_id == "R-ESK-1"
    assert dose.esketamine(56, first_dose=True, age=70).rule_id == "R-ESK-2"
    assert dose.esketamine(28, first_dose=True, age=70).verdict == dose.Verdict.OK
    assert dose.esketamine(30, first_dose=False, age=40).verdict == dose.Verdict.BLOCK
    assert dose.device_too_soon(T0, T0 + timedelta(minutes=4)) is not None
    assert dose.device_too_soon(T0, T0 + timedelta(minutes=5)) is None


def _facts(**changes: object) -> discharge.DischargeFacts:
    base = {
        "esketamine": True,
        "dosed_at": T0,
        "minimum_observation": timedelta(minutes=60),
        "baseline_systolic": 130,
        "latest_systolic": 140,
        "baseline_heart_rate": 70,
        "latest_heart_rate": 75,
        "latest_moaas": 5,
        "escort_recorded": True,
        "no_driving_acknowledged": True,
        "clinician_attested_stable": True,
    }
    return discharge.DischargeFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_r_rems_4_esketamine_waits_two_hours_and_nobody_overrides_it() -> None:
    """R-REMS-4, R-DC-3."""
    early = discharge.unmet(_facts(), T0 + timedelta(minutes=119))
    assert [u.rule_id for u in early] == ["R-REMS-4"]
    assert not early[0].overridable
    assert discharge.unmet(_facts(), T0 + timedelta(minutes=120)) == []


def test_r_dc_1_2_escort_instruction_vitals_and_sedation() -> None:
    """R-DC-1, R-DC-2."""
    facts = _facts(
        esketamine=False,
        latest_systolic=170,
        latest_moaas=4,
        escort_recorded=False,
        no_driving_acknowledged=False,
    )
    found = discharge.unmet(facts, T0 + timedelta(hours=3))
    assert sorted(u.rule_id for u in found) == ["R-DC-1", "R-DC-1", "R-DC-2", "R-DC-2"]
    assert all(u.overridable for u in found)


def test_the_workflow_allows_only_its_moves_and_asks_for_its_guards() -> None:
    assert workflow.transition_problem(State.BOOKED, State.DOSING, Guards()) is not None
    assert workflow.transition_problem(State.CHECKED_IN, State.CHECKS_PASSED, Guards()) is not None
    assert (
        workflow.transition_problem(
            State.CHECKED_IN, State.CHECKS_PASSED, Guards(checks_passed_or_overridden=True)
        )
        is None
    )
    assert workflow.transition_problem(State.CHECKED_IN, State.HELD, Guards()) is not None
    assert workflow.transition_problem(State.OBSERVATION, State.DISCHARGED, Guards()) is not None
    for final in workflow.FINAL:
        assert workflow.ALLOWED[final] == frozenset()


def test_r_dc_2_other_routes_wait_their_protocols_minimum_which_a_prescriber_may_override() -> None:
    """R-DC-2."""
    found = discharge.unmet(_facts(esketamine=False), T0 + timedelta(minutes=30))
    assert [(u.rule_id, u.overridable) for u in found] == [("R-DC-2", True)]
    assert discharge.ready_at(_facts(esketamine=False)) == T0 + timedelta(minutes=60)


def test_discharge_needs_a_dose_a_baseline_and_for_esketamine_an_attestation() -> None:
    found = discharge.unmet(
        _facts(dosed_at=None, baseline_heart_rate=None, clinician_attested_stable=False),
        T0 + timedelta(hours=3),
    )
    texts = " ".join(u.text for u in found)
    assert "No dose" in texts
    assert "Heart rate" in texts
    assert "attest" in texts


def test_the_workflow_asks_for_a_dose_before_observation_and_criteria_before_discharge() -> None:
    assert workflow.transition_problem(State.DOSING, State.OBSERVATION, Guards()) is not None
    assert (
        workflow.transition_problem(State.DOSING, State.OBSERVATION, Guards(dose_recorded=True))
        is None
    )
    assert (
        workflow.transition_problem(State.OBSERVATION, State.READY_FOR_DISCHARGE, Guards())
        is not None
    )
    assert (
        workflow.transition_problem(State.DOSING, State.ABORTED, Guards(reason_given=True)) is None
    )


def test_doses_below_the_band_warn_and_late_devices_say_how_long_to_wait() -> None:
    assert dose.weight_based(Decimal(5), Decimal(70)).verdict == dose.Verdict.WARN
    assert dose.next_device_at(T0) == T0 + timedelta(minutes=5)
    assert dose.device_too_soon(None, T0) is None
    assert dose.esketamine(28, first_dose=False, age=40).verdict == dose.Verdict.BLOCK
