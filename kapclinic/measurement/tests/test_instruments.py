"""Instrument definitions: validated on load, registry, licensed texts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kapclinic.measurement.exceptions import InstrumentDefinitionError, UnknownInstrumentError
from kapclinic.measurement.instruments import (
    all_instruments,
    get_instrument,
    load_licensed_texts,
    with_licensed_texts,
)
from kapclinic.measurement.instruments.definition import LicenceStatus
from kapclinic.measurement.instruments.loader import parse_instrument
from kapclinic.measurement.instruments.registry import DATA_DIR
from kapclinic.measurement.instruments.scoring import score
from kapclinic.measurement.instruments.validation import VERIFIED_LOINC
from kapclinic.measurement.tests.helpers import numbered


def phq9_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / "phq9.json").read_text(encoding="utf-8"))
    return data


def problems_of(data: dict[str, Any]) -> str:
    with pytest.raises(InstrumentDefinitionError) as error:
        parse_instrument(data, source="test.json")
    return error.value.message


def test_every_shipped_definition_loads_and_cites_its_source() -> None:
    codes = {i.code for i in all_instruments()}
    assert codes == {
        "phq9", "gad7", "qids_sr16", "pcl5", "who5", "asq", "urinary_screen", "mood_0_10",
        "cssrs_screener", "madrs", "cadss",
    }  # fmt: skip
    for instrument in all_instruments():
        assert instrument.source
        assert instrument.scoring.rule_id
        assert instrument.licence.source
        assert instrument.missing.source


def test_licensed_instruments_ship_without_item_texts() -> None:
    for code in ("cssrs_screener", "madrs", "cadss"):
        instrument = get_instrument(code)
        assert instrument.licence.required
        assert all(item.text == "" for item in instrument.items)
        assert all(item.label for item in instrument.items)
    assert get_instrument("madrs").licence.status is LicenceStatus.PROPRIETARY


def test_loinc_codes_appear_only_where_the_reference_verifies_them() -> None:
    for instrument in all_instruments():
        verified = VERIFIED_LOINC.get(instrument.code, {})
        assert instrument.loinc.panel == verified.get("panel", "")
        assert instrument.loinc.total == verified.get("total", "")


def test_get_instrument_by_code_and_version() -> None:
    assert get_instrument("phq9").version == "1"
    assert get_instrument("phq9", "1").code == "phq9"
    with pytest.raises(UnknownInstrumentError, match="no instrument with code 'bdi'"):
        get_instrument("bdi")
    with pytest.raises(UnknownInstrumentError, match="no version '9'"):
        get_instrument("phq9", "9")


def set_path(data: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    target: Any = changed
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("items.1.id", "phq9_1", "duplicate item ids: phq9_1"),
        ("option_sets.frequency.1.value", 0, "repeats a value"),
        ("option_sets.frequency.1.value", True, "must be an integer"),
        ("items.0.options", "nope", "'options' must name one of"),
        ("scoring.kind", "weighted", "unknown value 'weighted'"),
        ("licence.status", "shareware", "unknown value 'shareware'"),
        ("missing.kind", "prorate", "unknown value 'prorate'"),
        ("scoring.range", [0, 30], "declared range (0, 30) differs from the items' range (0, 27)"),
        ("scoring.bands.1.min", 6, "leave a gap or overlap (4 then 6)"),
        ("scoring.bands.4.max", 26, "bands cover 0-26, not the score range 0-27"),
        ("scoring.items", [f"phq9_{i}" for i in range(1, 9)], "scored exactly once"),
        ("scoring.items", [f"phq9_{i}" for i in range(1, 10)] + ["phq9_99"], "unknown items"),
        ("alerts.0.when.0.item", "phq9_99", "item 'phq9_99' does not exist"),
        ("alerts.0.when.0.value", 3, "no answer of item 'phq9_9' can satisfy gt 3"),
        ("alerts.0.severity", "panic", "unknown value 'panic'"),
        ("items.9.enable_when.0.value", 7, "no answer of item 'phq9_1' can satisfy"),
        ("items.0.enable_when", [{"item": "phq9_2", "op": "eq", "value": 1}], "earlier item"),
        ("loinc.total", "12345-6", "not verified for phq9"),
        ("version", "one", "version must be a whole number"),
        ("items.0.text", "", ""),  # empty text is allowed (licensed wording loaded later)
    ],
)
def test_invalid_definitions_are_refused_with_a_clear_message(
    path: str, value: object, message: str
) -> None:
    data = set_path(phq9_data(), path, value)
    if not message:
        parse_instrument(data, source="test.json")
        return
    assert message in problems_of(data)


def test_a_licensed_instrument_may_not_ship_item_text() -> None:
    data = json.loads((DATA_DIR / "madrs.json").read_text(encoding="utf-8"))
    data["items"][0]["text"] = "copied text"
    assert "a licensed instrument ships without item text" in problems_of(data)


def test_every_problem_is_reported_at_once() -> None:
    data = set_path(set_path(phq9_data(), "scoring.kind", "x"), "licence.status", "y")
    message = problems_of(data)
    assert "'x'" in message
    assert "'y'" in message


def test_with_licensed_texts_adds_wording_and_keeps_scoring() -> None:
    madrs = get_instrument("madrs")
    texts = {item_id: f"Licensed wording {item_id}" for item_id in madrs.item_ids}
    loaded = with_licensed_texts(madrs, texts, option_labels={"madrs_1": {0: "No sadness"}})
    assert loaded.texts_loaded
    assert loaded.has_texts
    assert loaded.items[0].options[0].label == "No sadness"
    answers = numbered("madrs", [2] * 10)
    assert score(loaded, answers).total == score(madrs, answers).total == 20
    assert not madrs.has_texts  # the shipped definition is unchanged


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        ({"madrs_1": "x"}, None, "items without text: madrs_2"),
        ({**{f"madrs_{i}": "x" for i in range(1, 11)}, "madrs_11": "x"}, None, "unknown items"),
        ({f"madrs_{i}": "x" for i in range(1, 11)}, {"madrs_1": {7: "x"}}, "no answer value"),
        ({f"madrs_{i}": "x" for i in range(1, 11)}, {"madrs_0": {1: "x"}}, "unknown items"),
    ],
)
def test_with_licensed_texts_is_validated_against_item_ids(
    texts: dict[str, str], labels: dict[str, dict[int, str]] | None, message: str
) -> None:
    with pytest.raises(InstrumentDefinitionError, match=message):
        with_licensed_texts(get_instrument("madrs"), texts, option_labels=labels)


def test_with_licensed_texts_refuses_an_instrument_that_has_its_own_texts() -> None:
    phq9 = get_instrument("phq9")
    with pytest.raises(InstrumentDefinitionError, match="ships its own item texts"):
        with_licensed_texts(phq9, dict.fromkeys(phq9.item_ids, "x"))


def test_load_licensed_texts_reads_a_clinic_file(tmp_path: Path) -> None:
    cadss = get_instrument("cadss")
    path = tmp_path / "cadss-texts.json"
    path.write_text(
        json.dumps(
            {
                "stem": "Licensed stem",
                "items": dict.fromkeys(cadss.item_ids, "wording"),
                "options": {"cadss_1": {"0": "Not at all"}},
            }
        ),
        encoding="utf-8",
    )
    loaded = load_licensed_texts(cadss, path)
    assert loaded.stem == "Licensed stem"
    assert loaded.items[0].options[0].label == "Not at all"
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match="cannot read licensed texts"):
        load_licensed_texts(cadss, path)
