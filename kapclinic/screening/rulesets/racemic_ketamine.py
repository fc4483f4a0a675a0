"""Racemic ketamine (IV, IM, SL lozenge, oral): off-label for every psychiatric use (ref §0).

R-SCR-1 applies the Spravato contraindications by analogy (ref §2.2 "[LABEL – esketamine]") as a
default hard stop: a clinic's policy may soften one to a flag (override with a written reason),
never turn it off. Every R-SCR-2 flag is configurable (ref §11.C). OUD and a recent suicide
attempt exclude patients from home programmes only (Mindbloom, ref §2.2: refer to supervised care).
Weight is required data here because doses are mg/kg (ref §2.3, §1.3).
"""

from __future__ import annotations

from datetime import date

from kapclinic.screening.facts import (
    FactField,
    Finding,
)
from kapclinic.screening.rules import (
    AgeBelow,
    BloodPressureAbove,
    EvidenceLabel,
    Family,
    FindingPresent,
    PregnancyPossible,
    Rule,
    RuleSet,
    Severity,
    ValueMissing,
)
from kapclinic.screening.rulesets.common import (
    CONCOMITANT_MEDICATIONS,
    GLAUCOMA,
    KETAMINE_BASELINE_DATA,
    MANIA_RECENT,
    NEUROCOGNITIVE_DISORDER,
    PSYCHOSIS,
    RECENT_SEIZURES,
    TBI_SYMPTOMATIC,
)

_CONTRAINDICATION = (
    "Spravato label contraindication, by analogy for racemic ketamine — ref §2.1, §2.2, "
    "§11.C R-SCR-1"
)
_WARNINGS = "Spravato label warnings, by analogy — ref §2.1; clinic lists ref §2.2, §11.C R-SCR-2"
_SECTION_2_2 = "ref §2.2, §11.C R-SCR-2"
_LABEL_STOP = "Contraindicated for esketamine; the clinic applies it to ketamine by default."

WEIGHT = Rule(
    rule_id="R-SCR-3.weight",
    title="Weight",
    severity=Severity.REQUIRED_DATA,
    condition=ValueMissing(FactField.WEIGHT),
    source="Weight for mg/kg dosing (IV 0.5 mg/kg) — ref §2.3, §1.3, §11.C R-SCR-3",
    evidence_label=EvidenceLabel.TRIAL,
    explanation="Ketamine doses are weight-based (mg/kg).",
)

RACEMIC_KETAMINE_V1 = RuleSet(
    family=Family.RACEMIC_KETAMINE,
    version="1",
    effective_from=date(2026, 11, 25),
    rules=(
        Rule(
            rule_id="R-SCR-1.aneurysm",
            title="Aneurysmal vascular disease",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.ANEURYSMAL_VASCULAR_DISEASE),
            source=_CONTRAINDICATION,
            evidence_label=EvidenceLabel.LABEL,
            explanation=f"{_LABEL_STOP} (aorta, intracranial or peripheral arterial vessels)",
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-1.avm",
            title="Arteriovenous malformation",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.AVM),
            source=_CONTRAINDICATION,
            evidence_label=EvidenceLabel.LABEL,
            explanation=_LABEL_STOP,
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-1.intracerebral_haemorrhage",
            title="History of intracerebral haemorrhage",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.INTRACEREBRAL_HAEMORRHAGE),
            source=_CONTRAINDICATION,
            evidence_label=EvidenceLabel.LABEL,
            explanation=_LABEL_STOP,
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-1.hypersensitivity",
            title="Hypersensitivity to esketamine, ketamine or excipients",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.HYPERSENSITIVITY_KETAMINE),
            source=_CONTRAINDICATION,
            evidence_label=EvidenceLabel.LABEL,
            explanation=_LABEL_STOP,
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-2.age_under_18",
            title="Age under 18",
            severity=Severity.FLAG,
            condition=AgeBelow(18),
            source=f"Clinic screening practice — {_SECTION_2_2}",
            evidence_label=EvidenceLabel.CLINIC,
            explanation="Ketamine for minors needs a prescriber's documented decision.",
            configurable=True,
        ),
        PSYCHOSIS,
        MANIA_RECENT,
        Rule(
            rule_id="R-SCR-2.uncontrolled_hypertension",
            title="Uncontrolled hypertension",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.UNCONTROLLED_HYPERTENSION),
            source=f"{_WARNINGS} (increases in BP)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Ketamine raises BP; assess cardiovascular risk before dosing.",
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-2.uncontrolled_cardiac_disease",
            title="Uncontrolled cardiac disease",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.UNCONTROLLED_CARDIAC_DISEASE),
            source=f"{_WARNINGS} (cardiovascular and cerebrovascular conditions)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Ketamine raises BP; assess cardiovascular risk before dosing.",
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-2.raised_icp",
            title="Raised intracranial pressure",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.RAISED_ICP),
            source=f"Oxford Health NHS — {_SECTION_2_2}",
            evidence_label=EvidenceLabel.CLINIC,
            explanation="Ketamine can raise BP and intracranial pressure.",
            configurable=True,
        ),
        GLAUCOMA,
        RECENT_SEIZURES,
        Rule(
            rule_id="R-SCR-2.pregnancy",
            title="Pregnancy (or pregnancy possible)",
            severity=Severity.FLAG,
            condition=PregnancyPossible(),
            source=f"{_WARNINGS} (embryo-fetal toxicity)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Not recommended in pregnancy; discuss contraception and the registry.",
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-2.breastfeeding",
            title="Breastfeeding",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.BREASTFEEDING),
            source=f"{_WARNINGS} (lactation)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Breastfeeding is not recommended during treatment.",
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-2.substance_use_disorder",
            title="Active substance use disorder",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.SUBSTANCE_USE_DISORDER_ACTIVE),
            source=f"{_WARNINGS} (abuse and misuse)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Careful consideration is needed with a substance use disorder.",
            configurable=True,
        ),
        NEUROCOGNITIVE_DISORDER,
        TBI_SYMPTOMATIC,
        Rule(
            rule_id="R-SCR-2.home_opioid_use_disorder",
            title="Opioid use disorder (home programme)",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.OPIOID_USE_DISORDER),
            source=f"Mindbloom exclusion (any history of OUD) — {_SECTION_2_2}",
            evidence_label=EvidenceLabel.CLINIC,
            explanation="Excluded from home programmes; refer to supervised in-clinic care.",
            configurable=True,
            home_programme_only=True,
        ),
        Rule(
            rule_id="R-SCR-2.home_recent_suicide_attempt",
            title="Recent suicide attempt or active intent (home programme)",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.RECENT_SUICIDE_ATTEMPT),
            source=f"Mindbloom exclusion — {_SECTION_2_2}",
            evidence_label=EvidenceLabel.CLINIC,
            explanation="Excluded from home programmes; refer to supervised in-clinic care.",
            configurable=True,
            home_programme_only=True,
        ),
        *CONCOMITANT_MEDICATIONS,
        WEIGHT,
        *KETAMINE_BASELINE_DATA,
        Rule(
            rule_id="R-SCR-4.bp_elevated",
            title="Baseline blood pressure elevated",
            severity=Severity.FLAG,
            condition=BloodPressureAbove(note="configurable; label wording unverified"),
            source="Recalled Spravato label BP example, by analogy — ref §1.2, §2.2, §11.C R-SCR-4",
            evidence_label=EvidenceLabel.UNVERIFIED,
            explanation="Weigh short-term BP increases against the benefit before dosing.",
            configurable=True,
        ),
    ),
)
