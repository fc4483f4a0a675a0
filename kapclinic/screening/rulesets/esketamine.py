"""Esketamine nasal spray (Spravato), on-label under the REMS.

R-SCR-1 contraindications are the label's (ref §2.1) and are fixed: no policy may turn them off or
soften them (ref §0: [LABEL] is a hard rule for on-label esketamine). "Not approved < 18 y"
(ref §2.1) makes age < 18 a hard stop here, where R-SCR-2 only flags it. Label warnings
(pregnancy, breastfeeding, substance use, blood pressure) are fixed flags; the §2.2 flags from
consensus and clinic sources stay configurable, as R-SCR-2 says.
"""

from __future__ import annotations

from datetime import date

from kapclinic.screening.facts import Finding
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

_CONTRAINDICATION = "Spravato label, Contraindications — ref §2.1, §11.C R-SCR-1"
_WARNINGS = "Spravato label, Warnings and precautions — ref §2.1, §11.C R-SCR-2"
_SECTION_2_2 = "ref §2.2, §11.C R-SCR-2"
_LABEL_STOP = "Contraindicated in the Spravato label: esketamine must not be given."

ESKETAMINE_V1 = RuleSet(
    family=Family.ESKETAMINE,
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
        ),
        Rule(
            rule_id="R-SCR-1.avm",
            title="Arteriovenous malformation",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.AVM),
            source=_CONTRAINDICATION,
            evidence_label=EvidenceLabel.LABEL,
            explanation=_LABEL_STOP,
        ),
        Rule(
            rule_id="R-SCR-1.intracerebral_haemorrhage",
            title="History of intracerebral haemorrhage",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.INTRACEREBRAL_HAEMORRHAGE),
            source=_CONTRAINDICATION,
            evidence_label=EvidenceLabel.LABEL,
            explanation=_LABEL_STOP,
        ),
        Rule(
            rule_id="R-SCR-1.hypersensitivity",
            title="Hypersensitivity to esketamine, ketamine or excipients",
            severity=Severity.HARD_STOP,
            condition=FindingPresent(Finding.HYPERSENSITIVITY_KETAMINE),
            source=_CONTRAINDICATION,
            evidence_label=EvidenceLabel.LABEL,
            explanation=_LABEL_STOP,
        ),
        Rule(
            rule_id="R-SCR-2.age_under_18",
            title="Age under 18",
            severity=Severity.HARD_STOP,
            condition=AgeBelow(18),
            source="Spravato label: not approved < 18 y — ref §2.1 (R-SCR-2 flags it elsewhere)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Spravato is not approved for patients under 18.",
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
            explanation="Esketamine raises BP; assess cardiovascular risk before dosing.",
        ),
        Rule(
            rule_id="R-SCR-2.uncontrolled_cardiac_disease",
            title="Uncontrolled cardiac disease",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.UNCONTROLLED_CARDIAC_DISEASE),
            source=f"{_WARNINGS} (cardiovascular and cerebrovascular conditions)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Esketamine raises BP; assess cardiovascular risk before dosing.",
        ),
        Rule(
            rule_id="R-SCR-2.raised_icp",
            title="Raised intracranial pressure",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.RAISED_ICP),
            source=f"Oxford Health NHS — {_SECTION_2_2}; label ICP wording unverified (ref §1.2)",
            evidence_label=EvidenceLabel.CLINIC,
            explanation="A rise in BP or intracranial pressure may pose a serious risk.",
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
        ),
        Rule(
            rule_id="R-SCR-2.breastfeeding",
            title="Breastfeeding",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.BREASTFEEDING),
            source=f"{_WARNINGS} (lactation)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Breastfeeding is not recommended during treatment.",
        ),
        Rule(
            rule_id="R-SCR-2.substance_use_disorder",
            title="Active substance use disorder",
            severity=Severity.FLAG,
            condition=FindingPresent(Finding.SUBSTANCE_USE_DISORDER_ACTIVE),
            source=f"{_WARNINGS} (abuse and misuse)",
            evidence_label=EvidenceLabel.LABEL,
            explanation="Careful consideration is needed with a substance use disorder.",
        ),
        NEUROCOGNITIVE_DISORDER,
        TBI_SYMPTOMATIC,
        *CONCOMITANT_MEDICATIONS,
        *KETAMINE_BASELINE_DATA,
        Rule(
            rule_id="R-SCR-4.bp_elevated",
            title="Baseline blood pressure elevated",
            severity=Severity.FLAG,
            condition=BloodPressureAbove(note="configurable; label wording unverified"),
            source="Recalled Spravato label §2.1 BP example — ref §1.2, §10 gap 15, §11.C R-SCR-4",
            evidence_label=EvidenceLabel.UNVERIFIED,
            explanation="Weigh short-term BP increases against the benefit before dosing.",
        ),
    ),
)
