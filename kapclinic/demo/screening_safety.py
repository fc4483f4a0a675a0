"""The demo's screening answers go through the real rules (issue 11.1).

A screening's PHQ-9 and GAD-7 answers are recorded as questionnaire responses (occasion
"screening"), scored by the engine, and every alert their answers fire (measurement.alerts, the
rules record_response applies: R-OUT-1 item 9 > 0 -> an urgent task) becomes a safety task.
Tasks raised before the demo's "today" were handled as a clinic would: acknowledged by a nurse
within the hour and evaluated by a prescriber before the eligibility decision; those raised
today are still open, so the demo shows the banner and the held signature. On the real date
(``generate_demo``), the stages also leave one task of the last working day open in a clinic
that has recorded nothing yet today (``keep_open``), and an open urgent task nobody
acknowledged within the clinic's ``safety_escalation_minutes`` was escalated when that time
came, by the escalation job's own service (``escalate_overdue``).

Item 9 follows a plausible share: passive thoughts of death are common in the moderate to severe
depression KAP treats (roughly 1 in 5 to 1 in 4 of such patients answer it above "not at all"),
mostly "several days"; "nearly every day" is rare.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from kapclinic.accounts.models import User
from kapclinic.measurement.instruments.alerts import alerts
from kapclinic.measurement.instruments.definition import AlertSeverity
from kapclinic.measurement.instruments.registry import get_instrument
from kapclinic.measurement.instruments.scoring import score
from kapclinic.measurement.models import (
    Assessment,
    Disposition,
    EvaluationMethod,
    Mode,
    Occasion,
    RiskLevel,
    SafetyPlanStatus,
    SafetyTask,
)
from kapclinic.measurement.responses.services import store_score
from kapclinic.measurement.safety.jobs import enqueue_escalations, escalate_safety_task
from kapclinic.measurement.safety.services import (
    SafetyAction,
    escalate_if_overdue,
    escalation_due_at,
)
from kapclinic.screening.models import Screening

# P(item 9 > 0) by depression severity level (1: moderate, 2: severe), then the answer's weights.
ITEM9_SHARE: Final = {1: 0.12, 2: 0.25}
ITEM9_WEIGHTS: Final = ((1, 70), (2, 22), (3, 8))


@dataclass(frozen=True)
class DemoEvaluation:
    """A resolved task's evaluation as a prescriber would record it (issue 11)."""

    note: str
    risk_level: RiskLevel
    method: EvaluationMethod
    risk_factors: str
    protective_factors: str
    safety_plan: SafetyPlanStatus
    disposition: Disposition


# Every resolved demo task cleared dosing, so every one is at low or moderate risk.
EVALUATIONS: Final = (
    DemoEvaluation(
        "Passive thoughts of death, no plan or intent; protective factors strong. Safety plan "
        "reviewed and given in writing. Cleared for treatment.",
        RiskLevel.LOW,
        EvaluationMethod.CLINICAL_INTERVIEW,
        "Passive death wish; chronic depression.",
        "Partner at home, engaged in therapy, future plans.",
        SafetyPlanStatus.REVIEWED,
        Disposition.CONTINUE_OUTPATIENT,
    ),
    DemoEvaluation(
        "Seen the same day: fleeting ideation during a low week, denies intent. Crisis line and "
        "safety plan reviewed with the patient and their partner. Cleared.",
        RiskLevel.MODERATE,
        EvaluationMethod.CLINICAL_INTERVIEW,
        "Fleeting ideation in a low week; recent job loss.",
        "Supportive partner, no access to firearms, children.",
        SafetyPlanStatus.UPDATED,
        Disposition.MORE_FREQUENT_CONTACT,
    ),
    DemoEvaluation(
        "C-SSRS screener on paper: wish to be dead, no active ideation, no behaviour. Low risk; "
        "safety plan in place. Cleared for dosing.",
        RiskLevel.LOW,
        EvaluationMethod.CSSRS_PAPER,
        "Wish to be dead, no active ideation.",
        "No past attempts, religious beliefs, close friends.",
        SafetyPlanStatus.CREATED,
        Disposition.CONTINUE_OUTPATIENT,
    ),
)


def item9(rng: random.Random, level: int) -> int:
    if rng.random() >= ITEM9_SHARE.get(level, ITEM9_SHARE[1]):
        return 0
    return positive_item9(rng)


def positive_item9(rng: random.Random) -> int:
    """An answer above "not at all", by the answers' weights (the stages' showcase)."""
    values, weights = zip(*ITEM9_WEIGHTS, strict=True)
    return rng.choices(values, weights)[0]


@dataclass
class ScreeningSafety:
    """Builds the responses and safety tasks of the screenings of one batch."""

    rng: random.Random
    today: date  # the demo's "today": screenings from today on still have their tasks open
    responses: list[tuple[Screening, str, Assessment]] = field(default_factory=list)
    handled_by: dict[int, datetime] = field(default_factory=dict)  # id(screening) -> evaluated
    handlers: dict[int, tuple[User, User]] = field(default_factory=dict)  # -> (nurse, prescriber)
    holding: set[int] = field(default_factory=set)  # id(screening) with an urgent task left open
    left_open: list[SafetyTask] = field(default_factory=list)  # every batch's open urgent tasks
    open_tasks: int = 0
    escalated_tasks: int = 0
    resolved_tasks: int = 0

    def __post_init__(self) -> None:
        self.instruments = {code: get_instrument(code) for code in ("phq9", "gad7")}

    def record(
        self, screening: Screening, nurse: User, prescriber: User, *, keep_open: bool = False
    ) -> datetime | None:
        """Queue the screening's responses; return when its urgent alerts were evaluated (the
        eligibility decision comes after), or None when nothing urgent fired or its tasks stay
        open (raised today, or ``keep_open``: see ``holds``)."""
        urgent = False
        for code in ("phq9", "gad7"):
            values = getattr(screening, f"{code}_answers")
            if values is None:
                continue
            answers = {f"{code}_{n}": int(v) for n, v in enumerate(values, start=1)}
            instrument = self.instruments[code]
            response = Assessment(
                patient=screening.patient,
                clinic=screening.clinic,
                instrument_code=code,
                instrument_version=instrument.version,
                status=Assessment.Status.COMPLETED,
                mode=Mode.STAFF,
                occasion=Occasion.SCREENING,
                answers=answers,
                started_by=screening.recorded_by,
                completed_at=screening.recorded_at,
            )
            store_score(response, score(instrument, answers))
            self.responses.append((screening, code, response))
            urgent |= any(a.severity is AlertSeverity.URGENT for a in alerts(instrument, answers))
        if not urgent:
            return None
        if keep_open or screening.recorded_at.date() >= self.today:
            self.holding.add(id(screening))
            return None
        evaluated = screening.recorded_at + timedelta(minutes=self.rng.randint(30, 120))
        self.handled_by[id(screening)] = evaluated
        self.handlers[id(screening)] = (nurse, prescriber)
        return evaluated

    def holds(self, screening: Screening) -> bool:
        """Whether the screening raised an urgent task that is still open: nobody may sign
        it eligible before a prescriber records the evaluation (R-OUT-1)."""
        return id(screening) in self.holding

    def save(self) -> None:
        """Insert the responses, point the screenings at them, and raise the alerts' tasks
        (before the screenings are inserted, which then carry the responses' ids)."""
        Assessment.objects.bulk_create(r for _s, _c, r in self.responses)
        tasks: list[SafetyTask] = []
        for screening, code, response in self.responses:
            setattr(screening, f"{code}_response", response)
            for alert in alerts(self.instruments[code], response.answers):
                task = SafetyTask(
                    patient=screening.patient,
                    clinic=screening.clinic,
                    assessment=response,
                    rule_id=alert.rule_id,
                    severity=str(alert.severity),
                    message=alert.message,
                    triggered_by=[list(pair) for pair in alert.triggered_by],
                    created_at=screening.recorded_at,
                )
                evaluated = self.handled_by.get(id(screening))
                if evaluated is None:
                    self.open_tasks += 1
                    if task.severity == AlertSeverity.URGENT:
                        self.left_open.append(task)
                else:
                    task.status = SafetyTask.Status.RESOLVED
                    task.acknowledged_at = screening.recorded_at + timedelta(minutes=10)
                    nurse, prescriber = self.handlers[id(screening)]
                    task.acknowledged_by = nurse
                    task.action = self.rng.choice(
                        [SafetyAction.SEEN_IN_PERSON, SafetyAction.SAFETY_PLAN_REVIEWED]
                    )
                    task.evaluated_at = evaluated
                    task.evaluated_by = prescriber
                    evaluation = self.rng.choice(EVALUATIONS)
                    task.evaluation_note = evaluation.note
                    task.risk_level = evaluation.risk_level
                    task.evaluation_method = evaluation.method
                    task.risk_factors = evaluation.risk_factors
                    task.protective_factors = evaluation.protective_factors
                    task.safety_plan = evaluation.safety_plan
                    task.disposition = evaluation.disposition
                    self.resolved_tasks += 1
                tasks.append(task)
        SafetyTask.objects.bulk_create(tasks)
        self.responses.clear()
        self.handled_by.clear()
        self.handlers.clear()
        self.holding.clear()

    def escalate_overdue(self, now: datetime) -> None:
        """Escalate each open urgent task nobody acknowledged within its clinic's
        ``safety_escalation_minutes`` before ``now``, as the job queued when it was raised
        would have (measurement.safety.jobs): the same service, at the moment it fell due.
        The admins get their notice and the audit trail its entry; the e-mail is queued.
        A task not due yet gets its escalation job queued, as raising it in the app does, so
        that `make worker` escalates it on time when nobody acknowledges it."""
        not_due: list[SafetyTask] = []
        for task in self.left_open:
            due = escalation_due_at(task)
            if due > now:
                not_due.append(task)
            elif escalate_if_overdue(task_public_id=task.public_id, now=due):
                self.escalated_tasks += 1
        # Only where the job can wait for its time: an immediate backend (tests) would run the
        # check against the real clock rather than the demo's ``now``.
        if escalate_safety_task.get_backend().supports_defer:
            enqueue_escalations(not_due)
        self.left_open.clear()
