"""FHIR shapes validated with fhir.resources' R4B models (fhir.resources 8 ships R5 at the top
level and R4B under ``fhir.resources.R4B``; it has no separate 4.0.1 package)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kapclinic.measurement.instruments import Instrument, all_instruments, get_instrument
from kapclinic.measurement.instruments.fhir import (
    LOINC,
    NotScoredError,
    observation,
    questionnaire,
    questionnaire_response,
)
from kapclinic.measurement.instruments.scoring import score
from kapclinic.measurement.tests.helpers import answer_all, numbered

BASE = "https://fhir.clinic.test"
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SUBJECT = "Patient/5f0c6c1e-2d7a-4c55-9d5b-4f2b8a0e1c11"
RESPONSE = "QuestionnaireResponse/2b9f4f62-1a6e-4f0f-8d59-8a3d6f0b2c77"


def codings(concept: Any) -> list[tuple[str, str]]:
    return [(coding["system"], coding["code"]) for coding in concept["coding"]]


@pytest.mark.parametrize("instrument", all_instruments(), ids=lambda i: i.code)
def test_every_instrument_exports_a_valid_questionnaire(instrument: Instrument) -> None:
    resource: Any = questionnaire(instrument, canonical_base=BASE)
    Questionnaire.model_validate(resource)
    assert resource["url"] == f"{BASE}/Questionnaire/{instrument.code}"
    assert [item["linkId"] for item in resource["item"]] == list(instrument.item_ids)
    if instrument.has_texts:
        assert resource["status"] == "active"
    else:
        assert resource["status"] == "draft"
        assert "Item texts are not included" in str(resource["description"])
        assert all("text" not in item for item in resource["item"])


def test_phq9_questionnaire_has_the_verified_loinc_panel_and_skip_logic() -> None:
    resource: Any = questionnaire(get_instrument("phq9"), canonical_base=BASE)
    assert codings({"coding": resource["code"]}) == [(LOINC, "44249-1")]
    difficulty = resource["item"][-1]
    assert difficulty["required"] is False
    assert difficulty["enableBehavior"] == "any"
    # "item > 0" over 9 items, as '=' on each of the three non-zero answers.
    assert len(difficulty["enableWhen"]) == 27
    assert {w["operator"] for w in difficulty["enableWhen"]} == {"="}
    first = resource["item"][0]
    assert first["answerOption"][3]["valueCoding"]["display"] == "Nearly every day"
    assert first["answerOption"][3]["extension"][0]["valueDecimal"] == 3


def test_cssrs_questionnaire_has_no_loinc_item_codes_and_no_text() -> None:
    resource: Any = questionnaire(get_instrument("cssrs_screener"), canonical_base=BASE)
    assert codings({"coding": resource["code"]}) == [(LOINC, "93373-9")]
    q3 = resource["item"][2]
    assert q3["enableWhen"][0]["question"] == "cssrs_2"
    assert "enableBehavior" not in q3
    assert all(c["system"] != LOINC for i in resource["item"] for c in i["code"])


def test_instruments_without_verified_loinc_carry_no_loinc_code() -> None:
    for code in ("qids_sr16", "pcl5", "who5", "madrs", "cadss", "asq"):
        assert "code" not in questionnaire(get_instrument(code), canonical_base=BASE)


def test_questionnaire_response_is_valid_and_lists_answers_in_order() -> None:
    definition = get_instrument("phq9")
    answers = numbered("phq9", [1, 2, 3, 0, 1, 2, 0, 1, 1]) | {"phq9_difficulty": 2}
    resource: Any = questionnaire_response(
        definition, answers, canonical_base=BASE, subject_reference=SUBJECT, authored=WHEN
    )
    QuestionnaireResponse.model_validate(resource)
    assert resource["status"] == "completed"
    assert resource["questionnaire"] == f"{BASE}/Questionnaire/phq9|1"
    items = resource["item"]
    assert [i["linkId"] for i in items] == list(definition.item_ids)
    assert items[8]["answer"][0]["valueCoding"]["code"] == "1"


def test_questionnaire_response_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        questionnaire_response(
            get_instrument("gad7"),
            {},
            canonical_base=BASE,
            subject_reference=SUBJECT,
            authored=datetime(2026, 3, 1),  # noqa: DTZ001
        )


def make_observation(code: str, answers: dict[str, int], score_name: str = "total") -> Any:
    definition = get_instrument(code)
    resource: Any = observation(
        definition,
        score(definition, answers),
        canonical_base=BASE,
        subject_reference=SUBJECT,
        effective=WHEN,
        response_reference=RESPONSE,
        score_name=score_name,
    )
    Observation.model_validate(resource)
    assert resource["status"] == "final"
    assert resource["derivedFrom"] == [{"reference": RESPONSE}]
    assert codings(resource["category"][0]) == [
        ("http://terminology.hl7.org/CodeSystem/observation-category", "survey")
    ]
    return resource


def test_phq9_total_observation_uses_loinc_44261_6_and_value_integer() -> None:
    resource = make_observation("phq9", numbered("phq9", [2] * 9))
    assert codings(resource["code"])[0] == (LOINC, "44261-6")
    assert resource["valueInteger"] == 18
    assert resource["interpretation"][0]["text"] == "Moderately severe"


def test_gad7_total_observation_uses_loinc_70274_6() -> None:
    resource = make_observation("gad7", numbered("gad7", [1] * 7))
    assert codings(resource["code"])[0] == (LOINC, "70274-6")


def test_unverified_instruments_use_only_local_codes() -> None:
    resource = make_observation("pcl5", numbered("pcl5", [1] * 20))
    assert [system for system, _ in codings(resource["code"])] == [f"{BASE}/CodeSystem/pcl5-scores"]
    subscale = make_observation("pcl5", numbered("pcl5", [1] * 20), score_name="D")
    assert subscale["valueInteger"] == 7


def test_who5_percentage_is_a_ucum_quantity() -> None:
    resource = make_observation("who5", numbered("who5", [3] * 5), score_name="percentage")
    assert resource["valueQuantity"] == {
        "value": 60,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }


def test_cssrs_risk_level_observation_uses_loinc_93374_7() -> None:
    definition = get_instrument("cssrs_screener")
    resource = make_observation("cssrs_screener", answer_all(definition, highest=True))
    assert codings(resource["code"])[0] == (LOINC, "93374-7")
    assert resource["valueCodeableConcept"]["text"] == "high"


def test_no_observation_for_a_refused_score_or_unknown_score_name() -> None:
    definition = get_instrument("phq9")
    refused = score(definition, {"phq9_1": 1})
    with pytest.raises(NotScoredError, match="not scored"):
        observation(
            definition,
            refused,
            canonical_base=BASE,
            subject_reference=SUBJECT,
            effective=WHEN,
            response_reference=RESPONSE,
        )
    with pytest.raises(NotScoredError, match="no score named 'percentage'"):
        make_observation("phq9", numbered("phq9", [0] * 9), score_name="percentage")
