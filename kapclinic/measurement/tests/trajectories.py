"""Synthetic score histories for the outcome graph tests, recorded through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.measurement.models import Assessment, Mode, Occasion
from kapclinic.measurement.responses.services import complete_assessment, start_assessment
from kapclinic.patients.models import Patient

NURSE = (Role.NURSE,)


def phq9_answers(total: int) -> dict[str, int]:
    """PHQ-9 answers summing to ``total`` (0-24), item 9 (self-harm) always 0."""
    assert 0 <= total <= 24
    answers = {}
    left = total
    for n in range(1, 9):
        answers[f"phq9_{n}"] = min(3, left)
        left -= answers[f"phq9_{n}"]
    return answers | {"phq9_9": 0}


def record(
    *,
    nurse: User,
    patient: Patient,
    code: str,
    answers: dict[str, int],
    at: datetime,
    occasion: Occasion = Occasion.AD_HOC,
    session_ref: UUID | None = None,
) -> Assessment:
    started = start_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        patient=patient,
        instrument_code=code,
        mode=Mode.STAFF,
        occasion=occasion,
        session_ref=session_ref,
    )
    done = complete_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=started, answers=answers, now=at
    )
    return done.assessment


@dataclass(frozen=True)
class RapidResponder:
    start: datetime  # the baseline PHQ-9
    sessions: tuple[UUID, UUID]


def record_rapid_responder(*, nurse: User, patient: Patient, start: datetime) -> RapidResponder:
    """PHQ-9 20 at baseline, 8 the day after the first session, 6 before the second, then 15
    at follow-up five weeks later; mood 3 -> 7 around both sessions."""
    first, second = uuid4(), uuid4()
    day = timedelta(days=1)

    def phq9(total: int, at: datetime, occasion: Occasion, ref: UUID | None = None) -> None:
        record(
            nurse=nurse,
            patient=patient,
            code="phq9",
            answers=phq9_answers(total),
            at=at,
            occasion=occasion,
            session_ref=ref,
        )

    def mood(value: int, at: datetime, occasion: Occasion, ref: UUID) -> None:
        record(
            nurse=nurse,
            patient=patient,
            code="mood_0_10",
            answers={"mood_now": value},
            at=at,
            occasion=occasion,
            session_ref=ref,
        )

    phq9(20, start, Occasion.BASELINE)
    s1 = start + 2 * day
    mood(3, s1 - timedelta(hours=1), Occasion.PRE_SESSION, first)
    mood(7, s1 + timedelta(hours=1), Occasion.POST_SESSION, first)
    phq9(8, s1 + day, Occasion.DAY_AFTER, first)
    s2 = start + 9 * day
    phq9(6, s2 - timedelta(hours=1, minutes=10), Occasion.PRE_SESSION, second)
    mood(3, s2 - timedelta(hours=1), Occasion.PRE_SESSION, second)
    mood(7, s2 + timedelta(hours=1), Occasion.POST_SESSION, second)
    phq9(15, start + 44 * day, Occasion.FOLLOW_UP)
    return RapidResponder(start=start, sessions=(first, second))
