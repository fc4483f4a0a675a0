"""Adverse events of a session (issue 15.5): their kinds and outcomes, and which alerts imply
one (R-ALR-5: MOAA/S 0 is loss of consciousness, an adverse event; the hypertension, heart-rate
and saturation alerts of R-ALR-1, R-ALR-2 and R-ALR-4 name the event to record if it is one)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class AdverseEventKind(StrEnum):
    NAUSEA_VOMITING = "nausea_vomiting"
    HYPERTENSION = "hypertension"
    TACHYCARDIA = "tachycardia"
    DESATURATION = "desaturation"
    ANXIETY_EMERGENCE = "anxiety_emergence"
    LOSS_OF_CONSCIOUSNESS = "loss_of_consciousness"
    OTHER = "other"


KIND_LABELS: Final[dict[AdverseEventKind, str]] = {
    AdverseEventKind.NAUSEA_VOMITING: "Nausea or vomiting",
    AdverseEventKind.HYPERTENSION: "Hypertension",
    AdverseEventKind.TACHYCARDIA: "Tachycardia",
    AdverseEventKind.DESATURATION: "Desaturation",
    AdverseEventKind.ANXIETY_EMERGENCE: "Anxiety or emergence reaction",
    AdverseEventKind.LOSS_OF_CONSCIOUSNESS: "Loss of consciousness",
    AdverseEventKind.OTHER: "Other",
}


class AdverseOutcome(StrEnum):
    RESOLVED = "resolved"
    RESOLVED_WITH_TREATMENT = "resolved_treated"
    ONGOING = "ongoing"
    TRANSFERRED = "transferred"


OUTCOME_LABELS: Final[dict[AdverseOutcome, str]] = {
    AdverseOutcome.RESOLVED: "Resolved without treatment",
    AdverseOutcome.RESOLVED_WITH_TREATMENT: "Resolved with treatment",
    AdverseOutcome.ONGOING: "Ongoing, still observed",
    AdverseOutcome.TRANSFERRED: "Transferred to emergency care",
}

# The alert rule -> the adverse event it names. R-ALR-5 implies one (it must be recorded);
# the others name the event should the clinician judge it one.
IMPLIED_BY_ALERT: Final[dict[str, AdverseEventKind]] = {
    "R-ALR-5": AdverseEventKind.LOSS_OF_CONSCIOUSNESS,
}
SUGGESTED_BY_ALERT: Final[dict[str, AdverseEventKind]] = {
    "R-ALR-1": AdverseEventKind.HYPERTENSION,
    "R-ALR-2": AdverseEventKind.TACHYCARDIA,
    "R-ALR-4": AdverseEventKind.DESATURATION,
    **IMPLIED_BY_ALERT,
}
