from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from kapclinic.screening.facts import PregnancyStatus
from kapclinic.screening.rules import Family
from kapclinic.screening.services import ScreeningInput

COMPLETE = ScreeningInput(
    family=Family.RACEMIC_KETAMINE,
    pregnancy_status=PregnancyStatus.NOT_PREGNANT,
    medical_history_reviewed=True,
    medications_reviewed=True,
    weight_kg=Decimal("70.0"),
    systolic_mmhg=120,
    diastolic_mmhg=80,
    heart_rate_bpm=70,
    spo2_percent=98,
    has_psychiatric_diagnosis=True,
    substance_use_history_answered=True,
    psychosis_history_answered=True,
    cssrs_screener_completed=True,
    phq9_answers=(1, 2, 1, 2, 1, 1, 1, 0, 0),
    gad7_answers=(1, 1, 1, 1, 0, 0, 1),
)


def answers(**changes: Any) -> ScreeningInput:
    return replace(COMPLETE, **changes)


def form_data(**changes: str) -> dict[str, str]:
    """A complete, valid POST of the screening form (eligible for racemic ketamine)."""
    data = {
        "family": "racemic_ketamine",
        "medical_history_reviewed": "on",
        "medications_reviewed": "on",
        "psychosis_history_answered": "on",
        "substance_use_history_answered": "on",
        "cssrs_screener_completed": "on",
        "has_psychiatric_diagnosis": "yes",
        "pregnancy_status": "not_pregnant",
        "weight_kg": "70",
        "systolic_mmhg": "120",
        "diastolic_mmhg": "80",
        "heart_rate_bpm": "70",
        "spo2_percent": "98",
        **{f"phq9_{n}": "1" for n in range(1, 10)},
        **{f"gad7_{n}": "1" for n in range(1, 8)},
    }
    data.update(changes)
    return data
