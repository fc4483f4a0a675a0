"""Eligibility screening: the facts the engine reads, and what each one says when recorded.

Pure domain logic (house style §3.5), like ``kapclinic.screening.rules``, which evaluates rules
against these facts. ``ScreeningFacts`` is the engine's input; the service layer derives it from a
stored ``Screening`` (``kapclinic.screening.services.facts_of``). Every default means "not
recorded", never "normal" (house style §11: reject, don't invent).

Reference: docs/clinical-reference.md §2.1-2.3 (findings, concomitant medications, the
pre-treatment work-up) and §11.C R-SCR-3 (baseline data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final, assert_never


class Finding(StrEnum):
    """Coded history items (ref §2.1, §2.2). Pregnancy is ``ScreeningFacts.pregnancy_status``."""

    ANEURYSMAL_VASCULAR_DISEASE = "aneurysmal_vascular_disease"
    AVM = "avm"
    INTRACEREBRAL_HAEMORRHAGE = "intracerebral_haemorrhage"
    HYPERSENSITIVITY_KETAMINE = "hypersensitivity_ketamine"
    PSYCHOSIS = "psychosis"
    MANIA_RECENT = "mania_recent"
    UNCONTROLLED_HYPERTENSION = "uncontrolled_hypertension"
    UNCONTROLLED_CARDIAC_DISEASE = "uncontrolled_cardiac_disease"
    RAISED_ICP = "raised_icp"
    GLAUCOMA = "glaucoma"
    RECENT_SEIZURES = "recent_seizures"
    BREASTFEEDING = "breastfeeding"
    SUBSTANCE_USE_DISORDER_ACTIVE = "substance_use_disorder_active"
    OPIOID_USE_DISORDER = "opioid_use_disorder"
    RECENT_SUICIDE_ATTEMPT = "recent_suicide_attempt"
    NEUROCOGNITIVE_DISORDER = "neurocognitive_disorder"
    TBI_SYMPTOMATIC = "tbi_symptomatic"


class MedicationClass(StrEnum):
    """Concomitant classes named in ref §2.1 warnings and on the REMS monitoring form (§1.2)."""

    BENZODIAZEPINE = "benzodiazepine"
    NON_BENZODIAZEPINE_HYPNOTIC = "non_benzodiazepine_hypnotic"
    OPIOID = "opioid"
    PSYCHOSTIMULANT = "psychostimulant"
    MAOI = "maoi"


class PregnancyStatus(StrEnum):
    PREGNANT = "pregnant"
    POSSIBLE = "possible"  # not excluded: flagged like a pregnancy
    NOT_PREGNANT = "not_pregnant"
    NOT_APPLICABLE = "not_applicable"


class Sex(StrEnum):
    """FHIR AdministrativeGender; no shipped rule reads it (pregnancy has its own question)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class FactField(StrEnum):
    """Baseline items whose absence R-SCR-3 (ref §2.3) treats as missing data."""

    WEIGHT = "weight"
    BLOOD_PRESSURE = "blood_pressure"
    HEART_RATE = "heart_rate"
    SPO2 = "spo2"
    PSYCHIATRIC_DIAGNOSIS = "psychiatric_diagnosis"
    SUBSTANCE_USE_HISTORY = "substance_use_history"
    PSYCHOSIS_HISTORY = "psychosis_history"
    PREGNANCY_STATUS = "pregnancy_status"
    MEDICAL_HISTORY = "medical_history"
    MEDICATION_REVIEW = "medication_review"
    PHQ9_BASELINE = "phq9_baseline"
    GAD7_BASELINE = "gad7_baseline"
    CSSRS_SCREENER = "cssrs_screener"
    LABS_AND_ECG = "labs_and_ecg"


@dataclass(frozen=True, kw_only=True)
class ScreeningFacts:
    """What is known about the patient. Every default means "not recorded", never "normal".

    Forms validate ranges; the engine only guarantees it never treats a missing value as normal.
    A finding or medication class counts as absent only once its history was taken
    (``medical_history_reviewed``, ``medications_reviewed`` ...): see ``FINDING_ASKED_IN``.
    """

    age_years: int | None = None
    sex: Sex | None = None
    pregnancy_status: PregnancyStatus | None = None
    findings: frozenset[Finding] = frozenset()
    medication_classes: frozenset[MedicationClass] = frozenset()
    medical_history_reviewed: bool = False
    medications_reviewed: bool = False
    weight_kg: Decimal | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    spo2_percent: int | None = None
    has_psychiatric_diagnosis: bool | None = None
    substance_use_history_answered: bool = False
    psychosis_history_answered: bool = False
    phq9_baseline: int | None = None
    gad7_baseline: int | None = None
    cssrs_screener_completed: bool = False
    ecg_recorded: bool = False
    renal_function_recorded: bool = False
    liver_function_recorded: bool = False


def describe_fact(facts: ScreeningFacts, fact: FactField) -> tuple[bool, str]:
    """Whether ``fact`` is recorded, and a sentence saying so with the value used."""
    value: object
    if fact is FactField.WEIGHT:
        value = None if facts.weight_kg is None else f"{facts.weight_kg} kg"
    elif fact is FactField.BLOOD_PRESSURE:
        both = facts.systolic_mmhg is not None and facts.diastolic_mmhg is not None
        value = f"{facts.systolic_mmhg}/{facts.diastolic_mmhg} mmHg" if both else None
    elif fact is FactField.HEART_RATE:
        value = None if facts.heart_rate_bpm is None else f"{facts.heart_rate_bpm} bpm"
    elif fact is FactField.SPO2:
        value = None if facts.spo2_percent is None else f"{facts.spo2_percent} %"
    elif fact is FactField.PSYCHIATRIC_DIAGNOSIS:
        diagnosis = facts.has_psychiatric_diagnosis
        value = None if diagnosis is None else ("diagnosis recorded" if diagnosis else "none")
    elif fact is FactField.SUBSTANCE_USE_HISTORY:
        value = "answered" if facts.substance_use_history_answered else None
    elif fact is FactField.PSYCHOSIS_HISTORY:
        value = "answered" if facts.psychosis_history_answered else None
    elif fact is FactField.PREGNANCY_STATUS:
        status = facts.pregnancy_status
        value = None if status is None else status.value.replace("_", " ")
    elif fact is FactField.MEDICAL_HISTORY:
        value = "reviewed" if facts.medical_history_reviewed else None
    elif fact is FactField.MEDICATION_REVIEW:
        value = "reviewed" if facts.medications_reviewed else None
    elif fact is FactField.PHQ9_BASELINE:
        value = facts.phq9_baseline
    elif fact is FactField.GAD7_BASELINE:
        value = facts.gad7_baseline
    elif fact is FactField.CSSRS_SCREENER:
        value = "completed" if facts.cssrs_screener_completed else None
    elif fact is FactField.LABS_AND_ECG:
        parts = {
            "ECG": facts.ecg_recorded,
            "renal function": facts.renal_function_recorded,
            "liver function": facts.liver_function_recorded,
        }
        absent = [name for name, done in parts.items() if not done]
        if absent:
            return False, f"{', '.join(absent).capitalize()} not recorded"
        value = "ECG, renal and liver function"
    else:
        assert_never(fact)
    if value is None:
        return False, not_recorded(fact)
    return True, f"{FACT_LABELS[fact].capitalize()} recorded: {value}"


def not_recorded(fact: FactField) -> str:
    return f"{FACT_LABELS[fact]} not recorded"


FINDING_LABELS: Final[Mapping[Finding, str]] = {
    Finding.ANEURYSMAL_VASCULAR_DISEASE: "aneurysmal vascular disease",
    Finding.AVM: "arteriovenous malformation",
    Finding.INTRACEREBRAL_HAEMORRHAGE: "history of intracerebral haemorrhage",
    Finding.HYPERSENSITIVITY_KETAMINE: "hypersensitivity to esketamine, ketamine or excipients",
    Finding.PSYCHOSIS: "psychosis (current or history)",
    Finding.MANIA_RECENT: "recent mania",
    Finding.UNCONTROLLED_HYPERTENSION: "uncontrolled hypertension",
    Finding.UNCONTROLLED_CARDIAC_DISEASE: "uncontrolled cardiac disease",
    Finding.RAISED_ICP: "raised intracranial pressure",
    Finding.GLAUCOMA: "glaucoma",
    Finding.RECENT_SEIZURES: "recent seizures",
    Finding.BREASTFEEDING: "breastfeeding",
    Finding.SUBSTANCE_USE_DISORDER_ACTIVE: "active substance use disorder",
    Finding.OPIOID_USE_DISORDER: "opioid use disorder (any history)",
    Finding.RECENT_SUICIDE_ATTEMPT: "recent suicide attempt",
    Finding.NEUROCOGNITIVE_DISORDER: "neurocognitive disorder",
    Finding.TBI_SYMPTOMATIC: "symptomatic traumatic brain injury",
}

# Which part of the work-up asks about each finding: until it is recorded, "no finding" means
# "not asked", so the rule is not evaluated (house style §11: reject, don't invent).
FINDING_ASKED_IN: Final[Mapping[Finding, FactField]] = {
    Finding.PSYCHOSIS: FactField.PSYCHOSIS_HISTORY,
    Finding.MANIA_RECENT: FactField.PSYCHOSIS_HISTORY,
    Finding.SUBSTANCE_USE_DISORDER_ACTIVE: FactField.SUBSTANCE_USE_HISTORY,
    Finding.OPIOID_USE_DISORDER: FactField.SUBSTANCE_USE_HISTORY,
    Finding.RECENT_SUICIDE_ATTEMPT: FactField.CSSRS_SCREENER,
    Finding.BREASTFEEDING: FactField.PREGNANCY_STATUS,
    Finding.ANEURYSMAL_VASCULAR_DISEASE: FactField.MEDICAL_HISTORY,
    Finding.AVM: FactField.MEDICAL_HISTORY,
    Finding.INTRACEREBRAL_HAEMORRHAGE: FactField.MEDICAL_HISTORY,
    Finding.HYPERSENSITIVITY_KETAMINE: FactField.MEDICAL_HISTORY,
    Finding.UNCONTROLLED_HYPERTENSION: FactField.MEDICAL_HISTORY,
    Finding.UNCONTROLLED_CARDIAC_DISEASE: FactField.MEDICAL_HISTORY,
    Finding.RAISED_ICP: FactField.MEDICAL_HISTORY,
    Finding.GLAUCOMA: FactField.MEDICAL_HISTORY,
    Finding.RECENT_SEIZURES: FactField.MEDICAL_HISTORY,
    Finding.NEUROCOGNITIVE_DISORDER: FactField.MEDICAL_HISTORY,
    Finding.TBI_SYMPTOMATIC: FactField.MEDICAL_HISTORY,
}

MEDICATION_LABELS: Final[Mapping[MedicationClass, str]] = {
    MedicationClass.BENZODIAZEPINE: "benzodiazepine",
    MedicationClass.NON_BENZODIAZEPINE_HYPNOTIC: "non-benzodiazepine sedative hypnotic",
    MedicationClass.OPIOID: "opioid",
    MedicationClass.PSYCHOSTIMULANT: "psychostimulant",
    MedicationClass.MAOI: "MAOI",
}

FACT_LABELS: Final[Mapping[FactField, str]] = {
    FactField.WEIGHT: "weight",
    FactField.BLOOD_PRESSURE: "blood pressure",
    FactField.HEART_RATE: "heart rate",
    FactField.SPO2: "SpO2",
    FactField.PSYCHIATRIC_DIAGNOSIS: "psychiatric diagnosis",
    FactField.SUBSTANCE_USE_HISTORY: "substance-use history",
    FactField.PSYCHOSIS_HISTORY: "psychosis history",
    FactField.PREGNANCY_STATUS: "pregnancy status",
    FactField.MEDICAL_HISTORY: "medical history review",
    FactField.MEDICATION_REVIEW: "medication review",
    FactField.PHQ9_BASELINE: "baseline PHQ-9",
    FactField.GAD7_BASELINE: "baseline GAD-7",
    FactField.CSSRS_SCREENER: "C-SSRS screener",
    FactField.LABS_AND_ECG: "labs and ECG",
}
