"""FHIR R4 shapes of instruments, responses and scores, as plain dicts (pure; no I/O).

- ``questionnaire``: an instrument as a Questionnaire. Items carry linkId, a local code and, when
  the instrument has them, texts; a licensed instrument without loaded texts exports codes only,
  status "draft", and its description says why.
- ``questionnaire_response``: one response's answers as a QuestionnaireResponse.
- ``observation``: one score as an Observation (category survey), derivedFrom the response.

LOINC codes appear only where clinical reference §7.3 verifies them (the loader enforces that);
everything else uses kapclinic's local code systems under ``canonical_base`` (the FHIR interface
app decides the base URL). Answers are Codings whose code is the answer value as text, with the
value itself as the R4 ``ordinalValue`` extension, so other systems can score them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final, Literal

from kapclinic.measurement.exceptions import MeasurementError
from kapclinic.measurement.instruments.definition import Instrument, Item
from kapclinic.measurement.instruments.scoring import ScoreResult
from kapclinic.measurement.instruments.skiplogic import Answers, check_answers

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
ORDINAL_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
# FHIR R4 Questionnaire enableWhen cannot compare Codings with > or <, so a condition such as
# "item > 0" is exported as "item = 1 OR item = 2 OR item = 3" over the item's answer values.
_OPERATOR_EQ: Final = "="

ResponseStatus = Literal["in-progress", "completed", "amended", "entered-in-error", "stopped"]
FhirDict = dict[str, object]


class NotScoredError(MeasurementError):
    """An Observation was asked for a response that was not scored (see refused_reason)."""


def questionnaire_url(definition: Instrument, *, canonical_base: str) -> str:
    return f"{canonical_base}/Questionnaire/{definition.code}"


def _system(definition: Instrument, kind: str, canonical_base: str) -> str:
    return f"{canonical_base}/CodeSystem/{definition.code}-{kind}"


def _answer_coding(definition: Instrument, item: Item, value: int, canonical_base: str) -> FhirDict:
    coding: FhirDict = {
        "system": _system(definition, "answers", canonical_base),
        "code": str(value),
    }
    label = next((option.label for option in item.options if option.value == value), "")
    if label:
        coding["display"] = label
    return coding


def _enable_when(definition: Instrument, item: Item, canonical_base: str) -> list[FhirDict]:
    expanded: list[FhirDict] = []
    for condition in item.enable_when:
        source = definition.item(condition.item)
        for value in sorted(source.values):
            if condition.op.holds(value, condition.value):
                expanded.append(
                    {
                        "question": source.id,
                        "operator": _OPERATOR_EQ,
                        "answerCoding": _answer_coding(definition, source, value, canonical_base),
                    }
                )
    return expanded


def _questionnaire_item(definition: Instrument, item: Item, canonical_base: str) -> FhirDict:
    exported: FhirDict = {
        "linkId": item.id,
        "code": [
            {
                "system": _system(definition, "items", canonical_base),
                "code": item.id,
                "display": item.label,
            }
        ],
        "type": "choice",
        "required": not item.optional,
        "answerOption": [
            {
                "valueCoding": _answer_coding(definition, item, option.value, canonical_base),
                "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
            }
            for option in item.options
        ],
    }
    if item.text:
        exported["text"] = item.text
    conditions = _enable_when(definition, item, canonical_base)
    if conditions:
        exported["enableWhen"] = conditions
        if len(conditions) > 1:
            exported["enableBehavior"] = "any"
    return exported


def questionnaire(definition: Instrument, *, canonical_base: str) -> FhirDict:
    """``definition`` as a FHIR R4 Questionnaire."""
    without_texts = not definition.has_texts
    description = definition.description
    if without_texts:
        description += " Item texts are not included: " + (
            "electronic use needs a licence; a clinic that holds it loads them."
            if definition.licence.required
            else "their licence is unverified; a clinic loads them."
        )
    resource: FhirDict = {
        "resourceType": "Questionnaire",
        # FHIR ids allow [A-Za-z0-9-.] only: "qids_sr16" becomes "qids-sr16-v1".
        "id": f"{definition.code.replace('_', '-')}-v{definition.version}",
        "url": questionnaire_url(definition, canonical_base=canonical_base),
        "version": definition.version,
        "title": definition.title,
        # A definition without its item texts cannot be administered: draft, not active.
        "status": "draft" if without_texts else "active",
        "description": description,
        "copyright": f"Licence: {definition.licence.status.value}. {definition.licence.source}",
        "subjectType": ["Patient"],
        "item": [
            _questionnaire_item(definition, item, canonical_base) for item in definition.items
        ],
    }
    if definition.loinc.panel:
        resource["code"] = [
            {"system": LOINC, "code": definition.loinc.panel, "display": definition.title}
        ]
    return resource


def questionnaire_response(
    definition: Instrument,
    answers: Answers,
    *,
    canonical_base: str,
    subject_reference: str,
    authored: datetime,
    status: ResponseStatus = "completed",
) -> FhirDict:
    """``answers`` as a FHIR R4 QuestionnaireResponse (items in definition order).

    Raises InvalidAnswersError for answers that cannot belong to the instrument, and
    ValueError for a naive ``authored``.
    """
    check_answers(definition, answers)
    if authored.tzinfo is None:
        msg = "authored must be timezone-aware"
        raise ValueError(msg)
    items: list[FhirDict] = []
    for item in definition.items:
        if item.id not in answers:
            continue
        entry: FhirDict = {
            "linkId": item.id,
            "answer": [
                {"valueCoding": _answer_coding(definition, item, answers[item.id], canonical_base)}
            ],
        }
        if item.text:
            entry["text"] = item.text
        items.append(entry)
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": (
            f"{questionnaire_url(definition, canonical_base=canonical_base)}|{definition.version}"
        ),
        "status": status,
        "subject": {"reference": subject_reference},
        "authored": authored.isoformat(),
        "item": items,
    }


def _code(definition: Instrument, score_name: str, canonical_base: str) -> FhirDict:
    codings: list[FhirDict] = []
    if score_name in {"total", "category"} and definition.loinc.total:
        coding: FhirDict = {"system": LOINC, "code": definition.loinc.total}
        if definition.loinc.total_display:
            coding["display"] = definition.loinc.total_display
        codings.append(coding)
    codings.append(
        {
            "system": _system(definition, "scores", canonical_base),
            "code": score_name,
            "display": f"{definition.title}: {score_name}",
        }
    )
    return {"coding": codings, "text": f"{definition.title} {score_name}"}


def observation(
    definition: Instrument,
    result: ScoreResult,
    *,
    canonical_base: str,
    subject_reference: str,
    effective: datetime,
    response_reference: str,
    score_name: str = "total",
) -> FhirDict:
    """One score of ``result`` as a FHIR R4 Observation derived from the response.

    ``score_name`` is "total" (the default; for a screen scored by tiers, its category), or a
    named score such as WHO-5 "percentage" (exported as a UCUM % quantity) or PCL-5 "B".
    Raises NotScoredError for a refused result, and for a score the result does not have.
    """
    if not result.is_scored:
        msg = f"{definition.code}: {result.refused_reason}"
        raise NotScoredError(msg)
    if effective.tzinfo is None:
        msg = "effective must be timezone-aware"
        raise ValueError(msg)
    resource: FhirDict = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "subject": {"reference": subject_reference},
        "effectiveDateTime": effective.isoformat(),
        "derivedFrom": [{"reference": response_reference}],
    }
    if result.category is not None:
        resource["code"] = _code(definition, "category", canonical_base)
        resource["valueCodeableConcept"] = {
            "coding": [
                {
                    "system": _system(definition, "categories", canonical_base),
                    "code": result.category,
                }
            ],
            "text": result.category,
        }
        return resource
    value = result.score_named(score_name)
    if value is None:
        msg = f"{definition.code} has no score named '{score_name}'"
        raise NotScoredError(msg)
    resource["code"] = _code(definition, score_name, canonical_base)
    if _is_percentage(definition, score_name):
        resource["valueQuantity"] = {"value": value, "unit": "%", "system": UCUM, "code": "%"}
    else:
        resource["valueInteger"] = value
    if score_name == "total" and result.band is not None:
        resource["interpretation"] = [
            {
                "coding": [
                    {
                        "system": _system(definition, "bands", canonical_base),
                        "code": result.band.code,
                        "display": result.band.label,
                    }
                ],
                "text": result.band.label,
            }
        ]
    return resource


def _is_percentage(definition: Instrument, score_name: str) -> bool:
    derived: Mapping[str, int] = {d.name: d.multiplier for d in definition.scoring.derived}
    return score_name == "percentage" and score_name in derived
