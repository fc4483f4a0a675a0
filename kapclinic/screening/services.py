"""Writes of screening: record (and evaluate), override a flag, sign the decision, mark a
screening entered in error.

Each service runs in one transaction with its audit entry. The engine (rules.py) decides a
suggested outcome; only a prescriber of the patient's clinic overrides flags and signs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.accounts.permissions import Capability, allows, roles_with
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.measurement.exceptions import AssessmentError
from kapclinic.measurement.models import Mode, Occasion
from kapclinic.measurement.responses.services import record_response
from kapclinic.measurement.safety.services import unevaluated_urgent_tasks
from kapclinic.patients.models import Patient
from kapclinic.screening.audit_actions import ScreeningAuditAction
from kapclinic.screening.exceptions import ScreeningForbiddenError, ScreeningRefusedError
from kapclinic.screening.facts import (
    Finding,
    MedicationClass,
    PregnancyStatus,
    ScreeningFacts,
    Sex,
)
from kapclinic.screening.models import (
    MIN_ENTERED_IN_ERROR_REASON_CHARS,
    DecisionOutcome,
    EligibilityDecision,
    FlagOverride,
    Screening,
    ScreeningOutcome,
)
from kapclinic.screening.policy import policy_for, policy_from_json, policy_to_json
from kapclinic.screening.rules import (
    MIN_OVERRIDE_REASON_CHARS,
    Family,
    Outcome,
    ScreeningResult,
    evaluate,
)
from kapclinic.screening.rulesets import get_ruleset, ruleset_for

# Outcomes a prescriber may sign, and what the signed decision then says.
SIGNABLE: dict[str, DecisionOutcome] = {
    Outcome.ELIGIBLE: DecisionOutcome.ELIGIBLE,
    Outcome.ELIGIBLE_WITH_PRECAUTIONS: DecisionOutcome.ELIGIBLE_WITH_PRECAUTIONS,
    Outcome.NOT_ELIGIBLE: DecisionOutcome.NOT_ELIGIBLE,
}


@dataclass(frozen=True, kw_only=True)
class ScreeningInput:
    """The answers of one screening, as validated by ScreeningForm."""

    family: Family
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
    cssrs_screener_completed: bool = False
    ecg_recorded: bool = False
    renal_function_recorded: bool = False
    liver_function_recorded: bool = False
    phq9_answers: tuple[int, ...] | None = None
    gad7_answers: tuple[int, ...] | None = None


def facts_of(screening: Screening) -> ScreeningFacts:
    """The engine's view of a stored screening."""
    sex = screening.patient.sex
    return ScreeningFacts(
        age_years=screening.age_years,
        sex=Sex(sex) if sex in {s.value for s in Sex} else None,
        pregnancy_status=PregnancyStatus(screening.pregnancy_status)
        if screening.pregnancy_status
        else None,
        findings=frozenset(Finding(f) for f in screening.findings),
        medication_classes=frozenset(MedicationClass(m) for m in screening.medication_classes),
        medical_history_reviewed=screening.medical_history_reviewed,
        medications_reviewed=screening.medications_reviewed,
        weight_kg=screening.weight_kg,
        systolic_mmhg=screening.systolic_mmhg,
        diastolic_mmhg=screening.diastolic_mmhg,
        heart_rate_bpm=screening.heart_rate_bpm,
        spo2_percent=screening.spo2_percent,
        has_psychiatric_diagnosis=screening.has_psychiatric_diagnosis,
        substance_use_history_answered=screening.substance_use_history_answered,
        psychosis_history_answered=screening.psychosis_history_answered,
        phq9_baseline=screening.phq9_total,
        gad7_baseline=screening.gad7_total,
        cssrs_screener_completed=screening.cssrs_screener_completed,
        ecg_recorded=screening.ecg_recorded,
        renal_function_recorded=screening.renal_function_recorded,
        liver_function_recorded=screening.liver_function_recorded,
    )


def _store_result(screening: Screening, result: ScreeningResult) -> None:
    screening.outcome = ScreeningOutcome(result.outcome.value)
    screening.explanation = result.explanation
    screening.result = [
        {
            key: (str(value) if key in ("severity", "status", "evidence_label") else value)
            for key, value in asdict(finding).items()
        }
        for finding in result.findings
    ]


def _evaluate(screening: Screening) -> ScreeningResult:
    ruleset = get_ruleset(Family(screening.family), screening.ruleset_version)
    overrides = {o.rule_id: o.reason for o in screening.overrides.all()}
    # The policy the screening was recorded under: a later policy change never alters it.
    policy = policy_from_json(screening.policy)
    return evaluate(facts_of(screening), ruleset, policy, overrides)


@transaction.atomic
def record_screening(
    *,
    actor: Actor,
    patient: Patient,
    answers: ScreeningInput,
    now: datetime,
) -> Screening:
    """Record a screening of ``patient`` and evaluate it with the rule set in force today.

    Raises ScreeningRefusedError unless the actor may screen patients of that clinic.
    Writes: Screening (status evaluated, with the engine's result), a CREATE audit entry with
    every recorded value and the outcome.
    """
    if not allows(actor.roles, Capability.SCREEN_PATIENT):
        msg = "Only nurses and prescribers record screenings."
        raise ScreeningRefusedError(msg)
    clinic = patient.clinic
    today = clinic.local_today()
    ruleset = ruleset_for(answers.family, today)
    values = asdict(answers)
    values["findings"] = sorted(f.value for f in answers.findings)
    values["medication_classes"] = sorted(m.value for m in answers.medication_classes)
    values["family"] = answers.family.value
    values["pregnancy_status"] = answers.pregnancy_status.value if answers.pregnancy_status else ""
    values["phq9_answers"] = list(answers.phq9_answers) if answers.phq9_answers else None
    values["gad7_answers"] = list(answers.gad7_answers) if answers.gad7_answers else None
    screening = Screening(
        patient=patient,
        clinic=clinic,
        ruleset_version=ruleset.version,
        status=Screening.Status.EVALUATED,
        age_years=patient.age_on(today),
        recorded_by=actor.user,
        recorded_at=now,
        **values,
    )
    policy = policy_for(clinic, ruleset)
    screening.policy = policy_to_json(policy)
    result = evaluate(facts_of(screening), ruleset, policy)
    _store_result(screening, result)
    screening.full_clean()
    screening.save()
    _record_responses(screening, actor=actor, now=now)
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=ScreeningAuditAction.RECORDED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        patient_id=patient.public_id,
        target=audit.target_of(screening),
        changes={
            **{name: (None, value) for name, value in values.items()},
            "ruleset_version": (None, ruleset.version),
            "outcome": (None, screening.outcome),
        },
    )
    return screening


# The screening form's questionnaire answers, by instrument code (answers in item order).
SCREENING_INSTRUMENTS = (
    ("phq9", "phq9_answers", "phq9_response"),
    ("gad7", "gad7_answers", "gad7_response"),
)


def _record_responses(screening: Screening, *, actor: Actor, now: datetime) -> None:
    """Record the screening's PHQ-9 and GAD-7 answers as questionnaire responses through
    measurement's one path (record_response), in this transaction: scored by the engine, and
    every alert they fire raises its safety task, banner and dosing hold like any other
    response (R-OUT-1 item 9 > 0, R-OUT-5; issue 11: a screening used to raise nothing)."""
    for code, answers_field, response_field in SCREENING_INSTRUMENTS:
        values = getattr(screening, answers_field)
        if values is None:
            continue
        try:
            completion = record_response(
                actor=actor,
                patient=screening.patient,
                instrument_code=code,
                mode=Mode.STAFF,
                occasion=Occasion.SCREENING,
                answers={f"{code}_{n}": int(v) for n, v in enumerate(values, start=1)},
                now=now,
            )
        except AssessmentError as error:
            raise ScreeningRefusedError(error.message) from error
        setattr(screening, response_field, completion.assessment)
    screening.save(update_fields=["phq9_response", "gad7_response"])


def _require_prescriber_of(actor: Actor, clinic: Clinic) -> None:
    """Only a prescriber holding an active role in the screening's clinic decides."""
    is_member = StaffMembership.objects.filter(
        user=actor.user, clinic=clinic, role=Role.PRESCRIBER, is_active=True
    ).exists()
    if not (allows(actor.roles, Capability.DECIDE_ELIGIBILITY) and is_member):
        msg = "Only a prescriber of this clinic can do this."
        raise ScreeningRefusedError(msg)


def _locked(screening: Screening) -> Screening:
    locked = (
        Screening.objects.select_for_update()
        .select_related("patient", "clinic")
        .get(pk=screening.pk)
    )
    if locked.status != Screening.Status.EVALUATED:
        msg = f"This screening is {locked.get_status_display().lower()}: it can no longer change."
        raise ScreeningRefusedError(msg)
    return locked


@transaction.atomic
def override_flag(
    *,
    actor: Actor,
    screening: Screening,
    rule_id: str,
    reason: str,
    now: datetime,
) -> Screening:
    """Override a fired, not yet overridden R-SCR-2 flag with a written reason; re-evaluate.

    Raises ScreeningRefusedError for a non-prescriber, a signed screening, a rule that is not
    an open flag (hard stops never are), or a reason shorter than MIN_OVERRIDE_REASON_CHARS.
    Writes: FlagOverride, the new result on the Screening, a CREATE audit entry.
    """
    _require_prescriber_of(actor, screening.clinic)
    locked = _locked(screening)
    reason = clean_reason(reason, minimum=MIN_OVERRIDE_REASON_CHARS, error=ScreeningRefusedError)
    if rule_id not in locked.open_flags:
        msg = f"{rule_id} is not an open flag of this screening."
        raise ScreeningRefusedError(msg)
    override = FlagOverride.objects.create(
        screening=locked, rule_id=rule_id, reason=reason, prescriber=actor.user, at=now
    )
    before = locked.outcome
    _store_result(locked, _evaluate(locked))
    locked.save(update_fields=["outcome", "explanation", "result", "updated_at"])
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=ScreeningAuditAction.FLAG_OVERRIDDEN,
        actor_roles=actor.roles,
        clinic_id=locked.clinic.public_id,
        patient_id=locked.patient.public_id,
        target=audit.target_of(override),
        changes={"outcome": (before, locked.outcome)},
        detail={"screening": str(locked.public_id), "rule_id": rule_id, "reason": reason},
    )
    return locked


@transaction.atomic
def sign_decision(
    *,
    actor: Actor,
    screening: Screening,
    notes: str,
    now: datetime,
) -> EligibilityDecision:
    """Sign the eligibility decision of an evaluated screening, as its outcome says.

    Raises ScreeningRefusedError for a non-prescriber, a screening already signed or entered in
    error, and an outcome that is incomplete or still needs a prescriber's review.
    Writes: EligibilityDecision, the Screening's status (signed), a CREATE audit entry.
    """
    _require_prescriber_of(actor, screening.clinic)
    locked = _locked(screening)
    outcome = SIGNABLE.get(locked.outcome)
    if outcome is None:
        msg = (
            f"A screening that is {locked.get_outcome_display().lower()} cannot be signed: "
            "complete it or override its flags first."
        )
        raise ScreeningRefusedError(msg)
    # R-OUT-1 (issue 11): an urgent suicide-risk alert, at this screening or any time before,
    # must have its evaluation recorded before the patient is found eligible for treatment.
    pending = (
        unevaluated_urgent_tasks(locked.patient) if outcome != DecisionOutcome.NOT_ELIGIBLE else []
    )
    if pending:
        msg = (
            f"{len(pending)} urgent suicide-risk alert"
            f"{' is' if len(pending) == 1 else 's are'} open for this patient "
            f"({', '.join(sorted({t.rule_id for t in pending}))}): record the evaluation on "
            "the safety task before signing the patient eligible."
        )
        raise ScreeningRefusedError(msg)
    decision = EligibilityDecision.objects.create(
        screening=locked, outcome=outcome, signed_by=actor.user, signed_at=now, notes=notes.strip()
    )
    locked.status = Screening.Status.SIGNED
    locked.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=ScreeningAuditAction.DECISION_SIGNED,
        actor_roles=actor.roles,
        clinic_id=locked.clinic.public_id,
        patient_id=locked.patient.public_id,
        target=audit.target_of(decision),
        changes={"outcome": (None, outcome.value), "notes": (None, decision.notes)},
        detail={"screening": str(locked.public_id), "family": locked.family},
    )
    return decision


# The states in which the clinician who recorded a screening may still retract it themselves.
RECORDER_MAY_MARK: frozenset[str] = frozenset({Screening.Status.DRAFT, Screening.Status.EVALUATED})


def _active_member(user: User, clinic: Clinic, roles: Iterable[str]) -> bool:
    return StaffMembership.objects.filter(
        user=user, clinic=clinic, role__in=list(roles), is_active=True
    ).exists()


def may_mark_entered_in_error(*, actor: Actor, screening: Screening) -> bool:
    """Whether ``actor`` may mark ``screening`` entered in error (its state aside).

    A prescriber of the screening's clinic (DECIDE_ELIGIBILITY) may mark any screening, signed
    ones included: signing is theirs, so retracting a signed decision is theirs too. The
    clinician who recorded it (SCREEN_PATIENT: a nurse or prescriber still active in that
    clinic) may mark their own screening while it is unsigned, as one corrects one's own entry
    before anyone has relied on it. Why: docs/adr/0004-screening-entered-in-error.md.
    """
    clinic = screening.clinic
    if allows(actor.roles, Capability.DECIDE_ELIGIBILITY) and _active_member(
        actor.user, clinic, {Role.PRESCRIBER}
    ):
        return True
    return (
        allows(actor.roles, Capability.SCREEN_PATIENT)
        and screening.recorded_by_id == actor.user.pk
        and screening.status in RECORDER_MAY_MARK
        and _active_member(actor.user, clinic, roles_with(Capability.SCREEN_PATIENT))
    )


@transaction.atomic
def mark_entered_in_error(
    *,
    actor: Actor,
    screening: Screening,
    reason: str,
    now: datetime,
) -> Screening:
    """Mark ``screening`` entered in error with a written reason. It is kept, never deleted, and
    no longer counts: ``current_eligibility`` skips it, and with it any decision signed on it.

    Who may: see ``may_mark_entered_in_error``.
    Raises ScreeningForbiddenError for anyone else, ScreeningRefusedError for a screening already
    entered in error or a reason shorter than MIN_ENTERED_IN_ERROR_REASON_CHARS visible
    characters.
    Writes: the Screening's status and entered_in_error_reason/_at/_by, an UPDATE audit entry
    with old → new status, the reason and the decision that stopped counting (if any).
    """
    locked = (
        Screening.objects.select_for_update()
        .select_related("patient", "clinic")
        .get(pk=screening.pk)
    )
    if locked.is_entered_in_error:
        msg = "This screening is already marked entered in error."
        raise ScreeningRefusedError(msg)
    if not may_mark_entered_in_error(actor=actor, screening=locked):
        msg = (
            "Only a prescriber of this clinic, or the clinician who recorded this screening "
            "while it is unsigned, can mark it entered in error."
        )
        raise ScreeningForbiddenError(msg)
    reason = clean_reason(
        reason, minimum=MIN_ENTERED_IN_ERROR_REASON_CHARS, error=ScreeningRefusedError
    )
    old_status = locked.status
    decision = EligibilityDecision.objects.filter(screening=locked).first()
    locked.status = Screening.Status.ENTERED_IN_ERROR
    locked.entered_in_error_reason = reason
    locked.entered_in_error_at = now
    locked.entered_in_error_by = actor.user
    locked.full_clean()
    locked.save(
        update_fields=[
            "status",
            "entered_in_error_reason",
            "entered_in_error_at",
            "entered_in_error_by",
            "updated_at",
        ]
    )
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=ScreeningAuditAction.ENTERED_IN_ERROR,
        actor_roles=actor.roles,
        clinic_id=locked.clinic.public_id,
        patient_id=locked.patient.public_id,
        target=audit.target_of(locked),
        changes={
            "status": (old_status, locked.status),
            "entered_in_error_reason": ("", reason),
        },
        detail={
            "family": locked.family,
            "outcome": locked.outcome,
            "decision": str(decision.public_id) if decision else None,
            "decision_outcome": decision.outcome if decision else None,
        },
    )
    return locked
