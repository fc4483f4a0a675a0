"""Talk therapy (no ketamine): no drug contraindications, only the baseline the clinic measures.

The R-SCR-1/R-SCR-2 drug rules do not apply; R-SCR-3's diagnosis, baseline scales and C-SSRS
screener (ref §2.3) are kept by clinic policy so outcomes are comparable across programmes.
"""

from __future__ import annotations

from datetime import date

from kapclinic.screening.facts import FactField
from kapclinic.screening.rules import (
    EvidenceLabel,
    Family,
    Rule,
    RuleSet,
    Severity,
    ValueMissing,
)

_POLICY = "Clinic policy, the ketamine work-up applied to therapy — ref §2.3, §11.C R-SCR-3"

TALK_THERAPY_V1 = RuleSet(
    family=Family.TALK_THERAPY,
    version="1",
    effective_from=date(2026, 11, 25),
    rules=(
        Rule(
            rule_id="R-SCR-3.psychiatric_diagnosis",
            title="Psychiatric diagnosis and history",
            severity=Severity.REQUIRED_DATA,
            condition=ValueMissing(FactField.PSYCHIATRIC_DIAGNOSIS),
            source=_POLICY,
            evidence_label=EvidenceLabel.CLINIC,
            explanation="The psychiatric diagnosis and history must be assessed before therapy.",
        ),
        Rule(
            rule_id="R-SCR-3.baseline_depression_scale",
            title="Baseline depression scale (PHQ-9)",
            severity=Severity.REQUIRED_DATA,
            condition=ValueMissing(FactField.PHQ9_BASELINE),
            source=f"{_POLICY}; instrument ref §4.1",
            evidence_label=EvidenceLabel.CLINIC,
            explanation="A baseline depression score is needed to measure response.",
        ),
        Rule(
            rule_id="R-SCR-3.baseline_gad7",
            title="Baseline GAD-7",
            severity=Severity.REQUIRED_DATA,
            condition=ValueMissing(FactField.GAD7_BASELINE),
            source="Clinic policy (not in ref §11.C R-SCR-3); instrument ref §4.2",
            evidence_label=EvidenceLabel.CLINIC,
            explanation="The clinic measures anxiety at baseline to track outcomes.",
            configurable=True,
        ),
        Rule(
            rule_id="R-SCR-3.cssrs_screener",
            title="C-SSRS screener",
            severity=Severity.REQUIRED_DATA,
            condition=ValueMissing(FactField.CSSRS_SCREENER),
            source=f"{_POLICY}; instrument ref §4.5",
            evidence_label=EvidenceLabel.CLINIC,
            explanation="Suicide risk is screened before any treatment starts.",
            configurable=True,
        ),
    ),
)
