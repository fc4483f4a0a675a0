"""The pre-dose checklist (issue 15.3): its pure rule, the services that record and override
items, and the one transition function that goes through it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent
from kapclinic.dosing import services
from kapclinic.dosing.models import CheckAnswer, CheckOverride, DosingSession, SessionMove
from kapclinic.dosing.rules import checklist
from kapclinic.dosing.rules.checklist import ChecklistFacts, CheckStatus, Pregnancy
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services import DosingError, SessionHeldError
from kapclinic.dosing.tests.conftest import complete_checklist, countersign_pending
from kapclinic.ledger.tests.conftest import Stock, staff
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import (
    CheckItem,
    Modality,
    PreDoseChecks,
    default_pre_dose_checks,
)

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
KAP = default_pre_dose_checks(Modality.KETAMINE_ASSISTED_PSYCHOTHERAPY)
REMS = default_pre_dose_checks(Modality.ESKETAMINE_REMS)


def _all_passing(**changes: object) -> ChecklistFacts:
    facts: dict[str, object] = {
        "now": NOW,
        "identity_confirmed": True,
        "last_food_at": NOW - timedelta(hours=3),
        "last_liquid_at": NOW - timedelta(hours=1),
        "escort_recorded": True,
        "no_driving_acknowledged": True,
        "pregnancy": Pregnancy.NOT_PREGNANT,
        "medications_reviewed": True,
        "systolic": 128,
        "diastolic": 82,
        "rems_enrolment": True,
        "rems_setting": True,
        "rems_prescriber": True,
        "rems_pulse_oximeter": True,
    }
    facts.update(changes)
    return ChecklistFacts(**facts)  # type: ignore[arg-type]


def _status(config: PreDoseChecks, facts: ChecklistFacts, item: CheckItem) -> CheckStatus:
    return next(r.status for r in checklist.evaluate(config, facts) if r.item is item)


# --- the pure rule -------------------------------------------------------------------------


def test_a_checklist_with_every_fact_in_order_is_clear() -> None:
    """R-DC-1, R-SCR-3: with every item recorded and passing, dosing may start."""
    results = checklist.evaluate(REMS, _all_passing())
    assert [r.item for r in results] == list(REMS.items)
    assert checklist.all_clear(results)
    assert checklist.hold_reason(results) is None


def test_nothing_recorded_is_pending_never_passed() -> None:
    """R-SCR-3: an item nobody recorded is pending, and blocks dosing."""
    results = checklist.evaluate(REMS, ChecklistFacts(now=NOW))
    pending = {r.item for r in results if r.status is CheckStatus.PENDING}
    assert {CheckItem.IDENTITY, CheckItem.FASTING, CheckItem.VITALS, CheckItem.ESCORT} <= pending
    assert not checklist.all_clear(results)


def test_r_scr_4_a_high_pre_dose_blood_pressure_holds_the_session() -> None:
    """R-SCR-4, R-REMS-3: above the protocol's 140/90 (either number) the item is held for a
    prescriber's decision; at the limit it passes; the protocol may set its own numbers."""
    assert _status(KAP, _all_passing(systolic=141, diastolic=80), CheckItem.VITALS) is (
        CheckStatus.HELD
    )
    assert _status(KAP, _all_passing(systolic=130, diastolic=91), CheckItem.VITALS) is (
        CheckStatus.HELD
    )
    assert _status(KAP, _all_passing(systolic=140, diastolic=90), CheckItem.VITALS) is (
        CheckStatus.PASSED
    )
    results = checklist.evaluate(KAP, _all_passing(systolic=165, diastolic=95))
    assert checklist.hold_reason(results) == (
        "Blood pressure 165/95 is above 140/90: held for a prescriber's documented decision."
    )
    lenient = PreDoseChecks(items=KAP.items, bp_hold_systolic=170, bp_hold_diastolic=100)
    assert _status(lenient, _all_passing(systolic=165, diastolic=95), CheckItem.VITALS) is (
        CheckStatus.PASSED
    )


def test_r_rems_8_fasting_uses_the_protocols_hours() -> None:
    """R-REMS-8: no food for 2 hours and no liquids for 30 minutes before (the defaults)."""
    ate = _all_passing(last_food_at=NOW - timedelta(minutes=90))
    drank = _all_passing(last_liquid_at=NOW - timedelta(minutes=10))
    assert _status(REMS, ate, CheckItem.FASTING) is CheckStatus.FAILED
    result = next(r for r in checklist.evaluate(REMS, drank) if r.item is CheckItem.FASTING)
    assert result.reason == "The patient drank less than 30 minutes ago."
    stricter = PreDoseChecks(items=REMS.items, fasting_food_hours=6)
    assert _status(stricter, _all_passing(), CheckItem.FASTING) is CheckStatus.FAILED


def test_pregnancy_applies_only_to_a_patient_who_could_be_pregnant() -> None:
    """R-SCR-2: pregnant or unsure fails for a prescriber's decision; not asked of a patient
    who cannot become pregnant."""
    assert _status(KAP, _all_passing(pregnancy=Pregnancy.UNSURE), CheckItem.PREGNANCY) is (
        CheckStatus.FAILED
    )
    cannot = _all_passing(pregnancy=None, pregnancy_possible=False)
    assert _status(KAP, cannot, CheckItem.PREGNANCY) is CheckStatus.NOT_APPLICABLE


def test_medication_changes_and_open_questionnaires_block_until_decided() -> None:
    """R-OUT-9: the plan's pre-session questionnaires are answered first; a new benzodiazepine
    since the last visit needs a prescriber's decision."""
    changed = _all_passing(interaction_changes=("lorazepam (benzodiazepine)",))
    results = checklist.evaluate(KAP, changed)
    medications = next(r for r in results if r.item is CheckItem.MEDICATIONS)
    assert medications.status is CheckStatus.FAILED
    assert "lorazepam (benzodiazepine)" in medications.reason
    waiting = _all_passing(open_questionnaires=("phq9",))
    assert _status(KAP, waiting, CheckItem.QUESTIONNAIRES) is CheckStatus.FAILED


def test_overrides_stand_only_for_items_that_may_be_overridden() -> None:
    """R-SCR-4, R-REMS-1, R-REMS-2, R-OUT-5: a prescriber's reason clears the BP hold; it
    never clears identity, consent and eligibility, the safety hold or a REMS item."""
    reason = "Benefit outweighs a transient rise; recheck at 40 minutes."
    facts = _all_passing(
        systolic=165,
        diastolic=95,
        identity_confirmed=False,
        readiness_reasons=("Consent: expired.",),
        safety_reasons=("Safety alert (R-OUT-1): not acknowledged yet.",),
        rems_pulse_oximeter=False,
        overrides=dict.fromkeys(REMS.items, reason),
    )
    results = {r.item: r for r in checklist.evaluate(REMS, facts)}
    assert results[CheckItem.VITALS].status is CheckStatus.OVERRIDDEN
    for item in checklist.NEVER_OVERRIDDEN:
        assert not results[item].overridable
    for item in (
        CheckItem.IDENTITY,
        CheckItem.CONSENT_ELIGIBILITY,
        CheckItem.SAFETY,
        CheckItem.REMS_PULSE_OXIMETER,
    ):
        assert results[item].status is CheckStatus.FAILED
    assert not checklist.all_clear(tuple(results.values()))


# --- the services and the transition function ----------------------------------------------


def _checked_in(stock: Stock, session_type: str = "infusion") -> DosingSession:
    for appointment in Appointment.objects.filter(
        clinic=stock.clinic, session_type=session_type
    ).select_related("patient", "course__protocol"):
        if countersign_pending(appointment, stock.prescriber, stock.now):
            session = services.open_session(
                actor=stock.nurse, appointment=appointment, now=stock.now
            )
            return services.move(
                actor=stock.nurse, session=session, target=State.CHECKED_IN, now=stock.now
            )
    pytest.fail(f"the demo has a {session_type} appointment for a ready patient")


def _bp(stock: Stock, session: DosingSession, systolic: int, diastolic: int) -> None:
    services.record_vitals(
        actor=stock.nurse,
        session=session,
        readings={VitalKind.SYSTOLIC: Decimal(systolic), VitalKind.DIASTOLIC: Decimal(diastolic)},
        taken_at=stock.now,
        now=stock.now,
    )


def test_move_goes_through_the_checklist(stock: Stock) -> None:
    """R-SCR-3, R-DC-1: checks passed is refused, naming each item, until every item passes
    or is overridden; then it moves."""
    session = _checked_in(stock)
    with pytest.raises(DosingError) as refused:
        services.move(actor=stock.nurse, session=session, target=State.CHECKS_PASSED, now=stock.now)
    assert "Identity confirmed: Confirm the patient's identity" in refused.value.message
    assert "Pre-dose blood pressure: Record the pre-dose blood pressure." in refused.value.message
    complete_checklist(session, stock.nurse, stock.prescriber, stock.now)
    moved = services.move(
        actor=stock.nurse, session=session, target=State.CHECKS_PASSED, now=stock.now
    )
    assert moved.current is State.CHECKS_PASSED


def test_r_scr_4_a_high_bp_holds_the_session_until_a_prescriber_decides(stock: Stock) -> None:
    """R-SCR-4: asking for checks passed with a BP above the hold moves the session to held,
    with the reason; a nurse cannot override; the prescriber's override with a reason is
    audited and the session's checks then pass."""
    session = _checked_in(stock)
    complete_checklist(session, stock.nurse, stock.prescriber, stock.now)
    _bp(stock, session, 168, 96)
    with pytest.raises(SessionHeldError) as held:
        services.move(actor=stock.nurse, session=session, target=State.CHECKS_PASSED, now=stock.now)
    assert "Blood pressure 168/96 is above 140/90" in held.value.message
    session.refresh_from_db()
    assert session.current is State.HELD
    last = SessionMove.objects.filter(session=session).last()
    assert last is not None
    assert "168/96" in last.reason
    with pytest.raises(DosingError, match="Only a prescriber"):
        services.override_check(
            actor=stock.nurse, session=session, item="vitals", reason="Looks fine", now=stock.now
        )
    with pytest.raises(DosingError):
        services.override_check(
            actor=stock.prescriber, session=session, item="vitals", reason="  ", now=stock.now
        )
    assert not CheckOverride.objects.filter(session=session).exists()
    services.override_check(
        actor=stock.prescriber,
        session=session,
        item="vitals",
        reason="Asymptomatic; benefit outweighs a transient rise. Recheck at 40 minutes.",
        now=stock.now,
    )
    override = CheckOverride.objects.get(session=session)
    assert (override.by, override.finding[:26]) == (
        stock.prescriber.user,
        "Blood pressure 168/96 is a",
    )
    assert AuditEvent.objects.filter(action="dosing.check_overridden").exists()
    moved = services.move(
        actor=stock.nurse, session=session, target=State.CHECKS_PASSED, now=stock.now
    )
    assert moved.current is State.CHECKS_PASSED


def test_items_that_must_never_be_overridden_are_refused(stock: Stock) -> None:
    """R-OUT-5, R-SCR-3: identity, consent and eligibility and the safety hold are never
    overridden, even by a prescriber; the checks do not pass while identity says no."""
    session = _checked_in(stock)
    complete_checklist(session, stock.nurse, stock.prescriber, stock.now)
    services.record_check(
        actor=stock.nurse, session=session, item="identity", answer="no", now=stock.now
    )
    for item in ("identity", "consent_eligibility", "safety"):
        with pytest.raises(DosingError, match="is never overridden"):
            services.override_check(
                actor=stock.prescriber,
                session=session,
                item=item,
                reason="The prescriber knows the patient well.",
                now=stock.now,
            )
    with pytest.raises(DosingError, match="Identity not confirmed"):
        services.move(actor=stock.nurse, session=session, target=State.CHECKS_PASSED, now=stock.now)


def test_recording_is_checked_and_audited(stock: Stock) -> None:
    """R-REMS-8, R-SCR-2: each answer names who and when and is audited; impossible answers,
    future meals, items the protocol does not check and items read from the record are
    refused with a message, storing nothing."""
    session = _checked_in(stock)
    answer = services.record_check(
        actor=stock.nurse, session=session, item="identity", answer="yes", now=stock.now
    )
    assert (answer.recorded_by, answer.recorded_at) == (stock.nurse.user, stock.now)
    assert AuditEvent.objects.filter(action="dosing.check_recorded").exists()
    bad = [
        ({"item": "identity", "answer": "maybe"}, "Answer no or yes."),
        ({"item": "pregnancy", "answer": "yes"}, "Answer not pregnant or pregnant or unsure."),
        ({"item": "rems_setting", "answer": "yes"}, "does not check"),
        ({"item": "safety", "answer": "yes"}, "is read from the record"),
        ({"item": "coffee", "answer": "yes"}, "There is no such pre-dose check."),
        (
            {
                "item": "fasting",
                "answer": "times",
                "last_food_at": stock.now + timedelta(hours=1),
                "last_liquid_at": stock.now,
            },
            "cannot be later than now",
        ),
        ({"item": "fasting", "answer": "times"}, "Give the time the patient last ate"),
    ]
    for kwargs, message in bad:
        with pytest.raises(DosingError, match=message):
            services.record_check(
                actor=stock.nurse,
                session=session,
                now=stock.now,
                **kwargs,  # type: ignore[arg-type]
            )
    assert CheckAnswer.objects.filter(session=session).count() == 1


def test_only_the_sessions_clinicians_record_and_override_while_the_checks_are_open(
    stock: Stock,
) -> None:
    """R-SCR-3: the desk records no pre-dose check and a nurse overrides none; another
    clinic's staff touch none of this clinic's checks; once the session has left the pre-dose
    states (entered in error here), nothing more is recorded."""
    session = _checked_in(stock)
    desk = Actor.for_user(staff(stock.clinic, Role.FRONT_DESK), stock.clinic)
    with pytest.raises(DosingError, match="Only a nurse or a prescriber records"):
        services.record_check(
            actor=desk, session=session, item="identity", answer="yes", now=stock.now
        )
    with pytest.raises(DosingError, match="Only a prescriber overrides"):
        services.override_check(
            actor=stock.nurse,
            session=session,
            item="vitals",
            reason="Seen by the nurse.",
            now=stock.now,
        )
    other = Clinic.objects.exclude(pk=stock.clinic.pk).order_by("id")[0]
    outsider = Actor.for_user(staff(other, Role.PRESCRIBER), other)
    with pytest.raises(DosingError, match="not in your clinic"):
        services.record_check(
            actor=outsider, session=session, item="identity", answer="yes", now=stock.now
        )
    with pytest.raises(DosingError, match="not in your clinic"):
        services.override_check(
            actor=outsider,
            session=session,
            item="vitals",
            reason="Seen by the prescriber.",
            now=stock.now,
        )
    services.move(
        actor=stock.nurse,
        session=session,
        target=State.ENTERED_IN_ERROR,
        reason="Opened for the wrong patient.",
        now=stock.now,
    )
    with pytest.raises(DosingError, match="The pre-dose checks are closed"):
        services.record_check(
            actor=stock.nurse, session=session, item="identity", answer="yes", now=stock.now
        )
    assert not CheckAnswer.objects.filter(session=session).exists()
