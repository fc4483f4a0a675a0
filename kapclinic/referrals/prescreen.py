"""The public self-check: a few plain questions, never a diagnosis.

The questions mirror the screening rules a clinician will apply (clinical-reference §2,
R-SCR-1 and R-SCR-2) in everyday words. Whatever the answers, the page recommends talking to a
qualified professional; answers that touch a contraindication or a flag say that ketamine may
not be suitable or needs careful review, and why a clinician must decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    # What a "yes" means, in plain words (None: a "yes" raises nothing).
    concern_if_yes: str | None
    concern_if_no: str | None = None


QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        "adult",
        "Are you 18 or older?",
        None,
        concern_if_no="Ketamine treatments are generally offered to adults only.",
    ),
    Question(
        "depression_or_ptsd",
        "Has a clinician diagnosed you with depression, PTSD or anxiety that has not "
        "improved enough with other treatment?",
        None,
    ),
    Question(
        "vascular",
        "Have you ever had an aneurysm, a bleed in the brain, or a blood-vessel "
        "malformation (AVM)?",
        "a history of aneurysm, brain bleed or AVM rules out some ketamine treatments",
    ),
    Question(
        "psychosis",
        "Have you ever had psychosis, mania or been diagnosed with bipolar "
        "disorder or schizophrenia?",
        "psychosis or mania needs a specialist's careful review before ketamine",
    ),
    Question(
        "blood_pressure",
        "Do you have high blood pressure or a heart condition that is not well controlled?",
        "ketamine raises blood pressure for a while, so this needs review first",
    ),
    Question(
        "pregnant",
        "Are you pregnant, trying to become pregnant, or breastfeeding?",
        "ketamine is not recommended in pregnancy or while breastfeeding",
    ),
    Question(
        "substances",
        "Do you currently have a problem with alcohol or drug use?",
        "current substance use needs to be discussed openly with a clinician",
    ),
)


@dataclass(frozen=True)
class SelfCheckResult:
    concerns: list[str]
    answered: int

    @property
    def may_be_worth_discussing(self) -> bool:
        return not self.concerns


def assess(answers: dict[str, bool | None]) -> SelfCheckResult:
    """Plain-language concerns raised by the answers (unanswered questions raise none)."""
    concerns = []
    for question in QUESTIONS:
        answer = answers.get(question.key)
        if answer is True and question.concern_if_yes:
            concerns.append(question.concern_if_yes)
        if answer is False and question.concern_if_no:
            concerns.append(question.concern_if_no)
    return SelfCheckResult(concerns=concerns, answered=sum(a is not None for a in answers.values()))
