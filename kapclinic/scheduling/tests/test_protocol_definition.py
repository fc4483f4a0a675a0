"""The protocol document: the shipped templates, their sources, and every problem the parser
names in words (issue 13.1)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kapclinic.accounts.models import Room
from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.protocols.definition import (
    REMS_CHECKS,
    CheckItem,
    Equipment,
    IntegrationCadence,
    Modality,
    RoomKind,
    default_pre_dose_checks,
)
from kapclinic.scheduling.protocols.parser import parse_protocol, to_document
from kapclinic.scheduling.protocols.shipped import DATA_DIR, shipped_protocols

# The rules each shipped template must cite among its sources (clinical-reference §11-§14).
CITED = {
    "iv-ketamine-induction": {"R-IV-1", "R-IV-2", "R-IV-3", "R-IV-4", "R-DC-1", "R-OUT-9"},
    "kap-im-sl": {"R-SL-1", "R-INT-1", "R-INT-2", "R-INT-3", "R-DC-1", "R-OUT-9"},
    "esketamine-rems": {
        "R-ESK-1",
        "R-ESK-3",
        "R-ESK-6",
        "R-REMS-1",
        "R-REMS-2",
        "R-REMS-4",
        "R-REMS-6",
        "R-REMS-8",
    },
    "ketamine-maintenance": {"R-MNT-1", "R-MNT-3", "R-MNT-4", "R-LT-1", "R-IV-4", "R-DC-1"},
    "cbt-comparison": {"R-CMP-1", "R-CMP-4"},
}


def _template(code: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / f"{code}.json").read_text(encoding="utf-8"))
    return data


def _problems(data: object) -> tuple[str, ...]:
    with pytest.raises(ProtocolDefinitionError) as refused:
        parse_protocol(data)
    return refused.value.problems


def test_five_templates_ship_and_each_cites_its_rules() -> None:
    protocols = {p.code: p for p in shipped_protocols()}
    assert set(protocols) == set(CITED)
    for code, rule_ids in CITED.items():
        assert rule_ids <= {source.rule_id for source in protocols[code].sources}, code


def test_every_rule_a_template_cites_is_in_the_clinical_reference() -> None:
    reference = (DATA_DIR.parents[3] / "docs" / "clinical-reference.md").read_text()
    for protocol in shipped_protocols():
        cited = {s.rule_id for s in protocol.sources}
        cited |= {rule for s in protocol.session_types for rule in s.sources}
        cited |= {step.rule_id for step in protocol.outline}
        cited |= {stage.rule_id for stage in protocol.spacing.stages}
        for rule_id in cited:
            assert f"**{rule_id}" in reference, (protocol.code, rule_id)


def test_the_templates_hold_what_the_issue_asks() -> None:
    protocols = {p.code: p for p in shipped_protocols()}
    iv = protocols["iv-ketamine-induction"]
    assert (iv.outline[0].min_count, iv.outline[0].max_count) == (6, 6)  # R-IV-2
    assert iv.spacing.stages[0].max_per_week == 3
    kap = protocols["kap-im-sl"]
    assert [(s.min_count, s.max_count) for s in kap.outline] == [(1, 3), (4, 6), (1, 1)]
    integration = kap.outline[1].integration
    assert integration is not None  # R-INT-1: 1-3 days after each dose (R-INT-2: every dose)
    assert (integration.min_days_after, integration.max_days_after) == (1, 3)
    assert integration.cadence is IntegrationCadence.EVERY_DOSE
    esketamine = protocols["esketamine-rems"]
    assert [s.max_per_week for s in esketamine.spacing.stages] == [2, 1, 1]  # R-ESK-1, R-ESK-3
    dose = esketamine.session_type("induction-dose")
    assert dose is not None
    assert dose.observation_minutes >= 120  # R-REMS-4
    assert dose.resources.prescriber_on_site  # R-REMS-2
    cbt = protocols["cbt-comparison"]
    assert (cbt.outline[0].min_count, cbt.outline[0].max_count) == (12, 16)  # R-CMP-4
    assert cbt.session_types[0].minutes == 50
    maintenance = protocols["ketamine-maintenance"]
    assert maintenance.spacing.stages[0].min_days_between == 7  # R-MNT-4's default minimum
    assert [s.min_days_between for s in maintenance.spacing.stages] == [7, 13, 20]  # a taper


@pytest.mark.parametrize("protocol", shipped_protocols(), ids=lambda p: p.code)
def test_a_protocol_survives_the_round_trip_through_its_document(protocol: Any) -> None:
    assert parse_protocol(to_document(protocol)) == protocol
    assert parse_protocol(json.loads(json.dumps(to_document(protocol)))) == protocol


def test_the_vocabulary_matches_the_rooms_kapclinic_knows() -> None:
    assert {kind.value for kind in RoomKind} == set(Room.Kind.values)
    for item in Equipment:
        assert hasattr(Room, f"has_{item.value}"), item


def test_a_document_that_is_not_an_object_is_refused_in_words() -> None:
    assert _problems([1, 2]) == ("must be an object with named values, not [1, 2]",)


def test_shape_problems_are_named_item_by_item_and_all_at_once() -> None:
    data = _template("kap-im-sl")
    data["surprise"] = 1
    data["modality"] = "homeopathy"
    data["session_types"][1]["phases"][0]["minutes"] = 0
    data["session_types"][1]["resources"]["equipment"].append("lava lamp")
    data["session_types"][2]["kind"] = True
    data["outline"][0]["min_count"] = "one"
    data["spacing"]["stages"][0]["rule_id"] = "INT-1"
    data["sources"][0]["text"] = ""
    problems = _problems(data)
    assert problems == (
        "unknown entry 'surprise'",
        "'modality' must be one of esketamine_rems, racemic_ketamine_off_label, "
        "ketamine_assisted_psychotherapy, talk_therapy, not 'homeopathy'",
        "source 1: 'text' must be non-empty text",
        "session type 'kap-dose', phase 1: 'minutes' must be a whole number from 1 to 600, not 0",
        "session type 'kap-dose', resources: 'equipment' must list items among recliner, "
        "eye_masks_and_headphones, bp_monitor, pulse_oximeter, cardiac_monitor, oxygen, "
        "not 'lava lamp'",
        "session type 'integration': 'kind' must be one of preparation, dosing, integration, "
        "therapy, review, not True",
        "outline step 1: 'min_count' must be a whole number from 0 to 100, not 'one'",
        "spacing stage 1: 'rule_id' must be a rule id of the clinical reference, such as "
        "R-INT-1, not 'INT-1'",
    )


def test_problems_across_the_document_are_named_too() -> None:
    data = _template("kap-im-sl")
    data["session_types"].append(copy.deepcopy(data["session_types"][0]))
    data["outline"][1]["integration"]["session_type"] = "preparation"
    data["outline"][1]["integration"]["min_days_after"] = 4
    data["outline"][2]["session_type"] = "debrief"
    data["spacing"]["session_types"] = ["integration"]
    data["spacing"]["stages"].append(
        {
            "name": "Later",
            "from_week": 12,
            "to_week": 10,
            "min_days_between": 9,
            "max_days_between": 8,
            "max_per_week": 1,
            "rule_id": "R-SL-1",
        }
    )
    data["session_types"][1]["resources"]["patients_per_nurse"] = None
    problems = _problems(data)
    assert problems == (
        "session type 'preparation' is defined more than once",
        "session type 'kap-dose' is a dosing session: it needs a monitoring nurse "
        "('patients_per_nurse')",
        "outline step 2: 'preparation' is not an integration session type",
        "outline step 2: integration from 4 days after the dose cannot end 3 days after it",
        "outline step 3: there is no session type 'debrief'",
        "session type 'preparation' follows doses as integration: it cannot be an outline step too",
        "session type 'integration' is not used by the outline",
        "session type 'course-review' is not used by the outline",
        "spacing counts session type 'integration', which is not an outline step",
        "spacing stage 2 (Later) must start in week 9, not week 12",
        "spacing stage 2 (Later) ends in week 10, before it starts",
        "spacing stage 2 (Later): at most 8 days between sessions is less than the least, 9",
    )


def test_an_esketamine_protocol_keeps_the_label_and_rems_rules() -> None:
    """R-ESK-1, R-ESK-3 (frequency), R-REMS-2 (prescriber, pulse oximeter), R-REMS-4 (2 h)."""
    data = _template("esketamine-rems")
    dose = data["session_types"][1]
    dose["resources"]["prescriber_on_site"] = False
    dose["resources"]["equipment"] = ["recliner", "bp_monitor"]
    dose["phases"][2]["minutes"] = 60
    data["spacing"]["stages"][0]["max_per_week"] = 3
    data["spacing"]["stages"][2]["max_per_week"] = None
    problems = _problems(data)
    where = "session type 'induction-dose' (esketamine, REMS)"
    assert problems == (
        f"{where}: a prescriber must be on site (R-REMS-2)",
        f"{where}: a pulse oximeter must be at hand (R-REMS-2)",
        f"{where}: the phases marked as observation last 75 minutes; the patient is observed "
        "for at least 120 minutes after administration (R-REMS-4)",
        "spacing stage 'Induction, twice a week': esketamine is given at most twice a week in "
        "week 1 (R-ESK-1); set 'max_per_week' to 2 or less",
        "spacing stage 'Maintenance, weekly or every two weeks': esketamine is given at most "
        "once a week in week 9 (R-ESK-3); set 'max_per_week' to 1 or less",
    )


def test_the_same_changes_are_allowed_for_off_label_ketamine() -> None:
    data = _template("iv-ketamine-induction")
    data["session_types"][0]["resources"]["prescriber_on_site"] = False
    data["spacing"]["stages"][0]["max_per_week"] = None
    protocol = parse_protocol(data)
    assert protocol.modality is Modality.RACEMIC_KETAMINE_OFF_LABEL


def test_the_doses_the_cadence_follows_with_integration() -> None:
    """R-INT-2: every dose, or doses 1 and 2 and then every second dose."""
    every = IntegrationCadence.EVERY_DOSE
    sparse = IntegrationCadence.DOSES_1_2_THEN_EVERY_2ND
    assert [n for n in range(1, 9) if every.follows(n)] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [n for n in range(1, 9) if sparse.follows(n)] == [1, 2, 4, 6, 8]


def test_the_pre_dose_checklist_is_protocol_data_with_the_references_defaults() -> None:
    """Issue 15.3: R-REMS-1/R-REMS-2 items for esketamine only, R-REMS-8 fasting (2 h food,
    30 min liquids), R-SCR-4's BP hold (default 140/90, configurable); a protocol that names no
    checklist gets its modality's default."""
    esketamine = parse_protocol(_template("esketamine-rems"))
    dose = esketamine.session_type("induction-dose")
    assert dose is not None
    checks = esketamine.pre_dose_checks(dose)
    assert set(checks.items) >= REMS_CHECKS
    assert (checks.fasting_food_hours, checks.fasting_liquid_minutes) == (2, 30)
    assert (checks.bp_hold_systolic, checks.bp_hold_diastolic) == (140, 90)
    iv = _template("iv-ketamine-induction")
    del iv["session_types"][0]["pre_dose_checks"]
    protocol = parse_protocol(iv)
    infusion = protocol.session_type("infusion")
    assert infusion is not None
    assert infusion.pre_dose_checks is None
    default = protocol.pre_dose_checks(infusion)
    assert CheckItem.PREGNANCY in default.items
    assert not set(default.items) & REMS_CHECKS
    assert default == default_pre_dose_checks(Modality.RACEMIC_KETAMINE_OFF_LABEL)


def test_a_checklist_keeps_the_checks_no_protocol_drops() -> None:
    """R-REMS-1, R-REMS-2, R-REMS-8: an esketamine checklist keeps the REMS items and the
    label's fasting; every dosing checklist keeps identity, consent, safety, escort and vitals;
    only dosing sessions have one; bad values are named."""
    data = _template("esketamine-rems")
    checks = data["session_types"][1]["pre_dose_checks"]
    checks["items"] = ["identity", "vitals", "vitals", "coffee"]
    checks["fasting_food_hours"] = 1
    checks["bp_hold_systolic"] = "high"
    data["session_types"][0]["pre_dose_checks"] = {"items": ["identity"]}
    problems = _problems(data)
    where = "session type 'induction-dose'"
    assert f"{where}, pre-dose checks: 'items' names a check twice" in problems
    assert any("'items' must list checks among" in p and "'coffee'" in p for p in problems)
    assert any("'bp_hold_systolic' must be a whole number from 0 to 250" in p for p in problems)
    data["session_types"][1]["pre_dose_checks"] = {
        "items": ["identity", "vitals"],
        "fasting_food_hours": 1,
    }
    problems = _problems(data)
    assert "session type 'rems-enrolment': only a dosing session has pre-dose checks" in problems
    assert any(
        p.startswith(f"{where}: the pre-dose checks must include consent_eligibility, escort, ")
        and "rems_enrolment" in p
        for p in problems
    )
    assert any("(R-REMS-8)" in p for p in problems)
    iv = _template("iv-ketamine-induction")
    iv["session_types"][0]["pre_dose_checks"]["items"].append("rems_setting")
    iv["session_types"][0]["pre_dose_checks"]["fasting_food_hours"] = 0
    assert _problems(iv) == (
        "session type 'infusion': the REMS checks are for esketamine only (R-REMS-1/2)",
    )
