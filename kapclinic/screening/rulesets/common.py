"""Rules shared by the esketamine and racemic ketamine rule sets.

The R-SCR-2 clinical flags below read the same for both families (ref §2.2, §11.C R-SCR-2).

R-SCR-3 baseline data (ref §2.3, §11.C) and the concomitant-medication precautions of the
Spravato label warnings (ref §2.1), which the racemic ketamine set applies by analogy.
"""

from __future__ import annotations

from kapclinic.screening.facts import (
    FactField,
    Finding,
    MedicationClass,
)
from kapclinic.screening.rules import (
    EvidenceLabel,
    FindingPresent,
    MedicationClassPresent,
    Rule,
    Severity,
    ValueMissing,
)

_DATA = Severity.REQUIRED_DATA
_SECTION_2_2 = "ref §2.2, §11.C R-SCR-2"
_SANACORA = "APA task-force consensus (Sanacora 2017) pre-procedural evaluation"

BASELINE_BLOOD_PRESSURE = Rule(
    rule_id="R-SCR-3.blood_pressure",
    title="Baseline blood pressure",
    severity=_DATA,
    condition=ValueMissing(FactField.BLOOD_PRESSURE),
    source="Spravato label: BP before dosing; IV series: baseline BP — ref §2.3, §11.C R-SCR-3",
    evidence_label=EvidenceLabel.LABEL,
    explanation="Systolic and diastolic BP are needed before ketamine or esketamine.",
)
BASELINE_HEART_RATE = Rule(
    rule_id="R-SCR-3.heart_rate",
    title="Baseline heart rate",
    severity=_DATA,
    condition=ValueMissing(FactField.HEART_RATE),
    source="Baseline vitals — ref §11.C R-SCR-3",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="A baseline heart rate is part of the pre-treatment work-up.",
)
BASELINE_SPO2 = Rule(
    rule_id="R-SCR-3.spo2",
    title="Baseline SpO2",
    severity=_DATA,
    condition=ValueMissing(FactField.SPO2),
    source="Baseline vitals; pulse oximetry at each session (ref §1.2) — ref §11.C R-SCR-3",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="A baseline SpO2 is needed to judge respiratory changes during sessions.",
)
PSYCHIATRIC_DIAGNOSIS = Rule(
    rule_id="R-SCR-3.psychiatric_diagnosis",
    title="Psychiatric diagnosis and history",
    severity=_DATA,
    condition=ValueMissing(FactField.PSYCHIATRIC_DIAGNOSIS),
    source=f"{_SANACORA} — ref §2.3, §11.C R-SCR-3",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="The psychiatric diagnosis and history must be assessed before treatment.",
)
SUBSTANCE_USE_HISTORY = Rule(
    rule_id="R-SCR-3.substance_use_history",
    title="Substance-use history",
    severity=_DATA,
    condition=ValueMissing(FactField.SUBSTANCE_USE_HISTORY),
    source=f"{_SANACORA}; AUDIT/DAST-10 optional — ref §2.3, §11.C R-SCR-3",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="Abuse and misuse risk must be assessed (Spravato boxed warning, ref §2.1).",
)
PSYCHOSIS_HISTORY = Rule(
    rule_id="R-SCR-3.psychosis_history",
    title="Psychosis history",
    severity=_DATA,
    condition=ValueMissing(FactField.PSYCHOSIS_HISTORY),
    source=f"{_SANACORA} — ref §2.3, §11.C R-SCR-3",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="Psychosis and mania history must be asked before ketamine.",
)
PREGNANCY_STATUS = Rule(
    rule_id="R-SCR-3.pregnancy_status",
    title="Pregnancy status question",
    severity=_DATA,
    condition=ValueMissing(FactField.PREGNANCY_STATUS),
    source="Spravato label: assess/advise on pregnancy — ref §2.1, §2.3, §11.C R-SCR-3",
    evidence_label=EvidenceLabel.LABEL,
    explanation="Pregnancy and breastfeeding must be asked (a pregnancy test is not required).",
)
MEDICAL_HISTORY = Rule(
    rule_id="R-SCR-3.medical_history",
    title="Medical history review",
    severity=_DATA,
    condition=ValueMissing(FactField.MEDICAL_HISTORY),
    source=f"{_SANACORA}: medical review (cardiovascular) — ref §2.3",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="The contraindications and flags can only be checked once the history is taken.",
)
MEDICATION_REVIEW = Rule(
    rule_id="R-SCR-3.medication_review",
    title="Concomitant medication review",
    severity=_DATA,
    condition=ValueMissing(FactField.MEDICATION_REVIEW),
    source="Spravato label warnings; REMS monitoring form medication fields — ref §2.1, §1.2",
    evidence_label=EvidenceLabel.LABEL,
    explanation="Concomitant CNS depressants, psychostimulants and MAOIs must be known.",
)
BASELINE_DEPRESSION_SCALE = Rule(
    rule_id="R-SCR-3.baseline_depression_scale",
    title="Baseline depression scale (PHQ-9)",
    severity=_DATA,
    condition=ValueMissing(FactField.PHQ9_BASELINE),
    source=f"{_SANACORA}: baseline validated scale — ref §2.3, §4.1, §11.C R-SCR-3",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="A baseline validated depression score is needed to measure response.",
)
BASELINE_GAD7 = Rule(
    rule_id="R-SCR-3.baseline_gad7",
    title="Baseline GAD-7",
    severity=_DATA,
    condition=ValueMissing(FactField.GAD7_BASELINE),
    source="Clinic policy (not in ref §11.C R-SCR-3); instrument ref §4.2",
    evidence_label=EvidenceLabel.CLINIC,
    explanation="The clinic measures anxiety at baseline to track outcomes.",
    configurable=True,
)
CSSRS_SCREENER = Rule(
    rule_id="R-SCR-3.cssrs_screener",
    title="C-SSRS screener",
    severity=_DATA,
    condition=ValueMissing(FactField.CSSRS_SCREENER),
    source="Large at-home programme (Hull 2022) — ref §2.3, §4.5, §11.C R-SCR-3",
    evidence_label=EvidenceLabel.CLINIC,
    explanation="Suicide risk is screened before treatment (Spravato boxed warning, ref §2.1).",
    configurable=True,
)
LABS_AND_ECG = Rule(
    rule_id="R-SCR-3.labs_and_ecg",
    title="ECG, renal and liver function",
    severity=_DATA,
    condition=ValueMissing(FactField.LABS_AND_ECG),
    source="CPSBC draft standard; ANSM 2023 advisory; no US requirement — ref §2.3, §9",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="Required where the clinic follows a BC-draft or France-style policy.",
    configurable=True,
    # Optional unless the jurisdiction's policy asks for it (ref §11.C R-SCR-3).
    enabled_by_default=False,
)

KETAMINE_BASELINE_DATA: tuple[Rule, ...] = (
    BASELINE_BLOOD_PRESSURE,
    BASELINE_HEART_RATE,
    BASELINE_SPO2,
    PSYCHIATRIC_DIAGNOSIS,
    SUBSTANCE_USE_HISTORY,
    PSYCHOSIS_HISTORY,
    PREGNANCY_STATUS,
    MEDICAL_HISTORY,
    MEDICATION_REVIEW,
    BASELINE_DEPRESSION_SCALE,
    BASELINE_GAD7,
    CSSRS_SCREENER,
    LABS_AND_ECG,
)

# Ref §11.C has no rule id for concomitant medications; they are R-SCR-2 precautions here.
_WARNINGS = "Spravato label warnings (concomitant medications) — ref §2.1"
_SEDATION = "CNS depressants increase sedation: monitor sedation and respiration."
_BLOOD_PRESSURE = "Increases blood pressure: monitor BP closely."

CONCOMITANT_MEDICATIONS: tuple[Rule, ...] = (
    Rule(
        rule_id="R-SCR-2.concomitant_benzodiazepine",
        title="Concomitant benzodiazepine",
        severity=Severity.INFO,
        condition=MedicationClassPresent(MedicationClass.BENZODIAZEPINE),
        source=_WARNINGS,
        evidence_label=EvidenceLabel.LABEL,
        explanation=_SEDATION,
    ),
    Rule(
        rule_id="R-SCR-2.concomitant_hypnotic",
        title="Concomitant non-benzodiazepine sedative hypnotic",
        severity=Severity.INFO,
        condition=MedicationClassPresent(MedicationClass.NON_BENZODIAZEPINE_HYPNOTIC),
        source=f"{_WARNINGS}; REMS monitoring form field — ref §1.2",
        evidence_label=EvidenceLabel.LABEL,
        explanation=_SEDATION,
    ),
    Rule(
        rule_id="R-SCR-2.concomitant_opioid",
        title="Concomitant opioid",
        severity=Severity.INFO,
        condition=MedicationClassPresent(MedicationClass.OPIOID),
        source=_WARNINGS,
        evidence_label=EvidenceLabel.LABEL,
        explanation=_SEDATION,
    ),
    Rule(
        rule_id="R-SCR-2.concomitant_psychostimulant",
        title="Concomitant psychostimulant",
        severity=Severity.INFO,
        condition=MedicationClassPresent(MedicationClass.PSYCHOSTIMULANT),
        source=_WARNINGS,
        evidence_label=EvidenceLabel.LABEL,
        explanation=_BLOOD_PRESSURE,
    ),
    Rule(
        rule_id="R-SCR-2.concomitant_maoi",
        title="Concomitant MAOI",
        severity=Severity.INFO,
        condition=MedicationClassPresent(MedicationClass.MAOI),
        source=_WARNINGS,
        evidence_label=EvidenceLabel.LABEL,
        explanation=_BLOOD_PRESSURE,
    ),
)


# --- R-SCR-2 flags common to both ketamine families ---

PSYCHOSIS = Rule(
    rule_id="R-SCR-2.psychosis",
    title="Psychosis (current or history)",
    severity=Severity.FLAG,
    condition=FindingPresent(Finding.PSYCHOSIS),
    source=f"Sanacora 2017 consensus; clinic exclusion lists — {_SECTION_2_2}",
    evidence_label=EvidenceLabel.CONSENSUS,
    explanation="Ketamine can worsen psychosis; a prescriber must weigh it.",
    configurable=True,
)
MANIA_RECENT = Rule(
    rule_id="R-SCR-2.mania_recent",
    title="Bipolar disorder with recent mania",
    severity=Severity.FLAG,
    condition=FindingPresent(Finding.MANIA_RECENT),
    source=f"Oxford Health NHS; Mindbloom — {_SECTION_2_2}",
    evidence_label=EvidenceLabel.CLINIC,
    explanation="Recent mania is an exclusion in several services.",
    configurable=True,
)
GLAUCOMA = Rule(
    rule_id="R-SCR-2.glaucoma",
    title="Glaucoma",
    severity=Severity.FLAG,
    condition=FindingPresent(Finding.GLAUCOMA),
    source=f"Oxford Health NHS; procedural sedation pathway — {_SECTION_2_2}",
    evidence_label=EvidenceLabel.CLINIC,
    explanation="Ketamine raises intra-ocular pressure.",
    configurable=True,
)
RECENT_SEIZURES = Rule(
    rule_id="R-SCR-2.recent_seizures",
    title="Recent epilepsy or seizures",
    severity=Severity.FLAG,
    condition=FindingPresent(Finding.RECENT_SEIZURES),
    source=f"Oxford Health NHS — {_SECTION_2_2}",
    evidence_label=EvidenceLabel.CLINIC,
    explanation="Recent seizures are an exclusion in at least one service.",
    configurable=True,
)
NEUROCOGNITIVE_DISORDER = Rule(
    rule_id="R-SCR-2.neurocognitive_disorder",
    title="Neurocognitive disorder",
    severity=Severity.FLAG,
    condition=FindingPresent(Finding.NEUROCOGNITIVE_DISORDER),
    source=f"Toronto Ketamine Clinic — {_SECTION_2_2}",
    evidence_label=EvidenceLabel.CLINIC,
    explanation="Excluded by at least one clinic; a prescriber must weigh it.",
    configurable=True,
)
TBI_SYMPTOMATIC = Rule(
    rule_id="R-SCR-2.tbi_symptomatic",
    title="Symptomatic traumatic brain injury",
    severity=Severity.FLAG,
    condition=FindingPresent(Finding.TBI_SYMPTOMATIC),
    source=f"Toronto Ketamine Clinic — {_SECTION_2_2}",
    evidence_label=EvidenceLabel.CLINIC,
    explanation="Excluded by at least one clinic; a prescriber must weigh it.",
    configurable=True,
)
