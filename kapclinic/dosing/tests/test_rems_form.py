"""The Spravato REMS Patient Monitoring Form (R-REMS-5, issue 15.8): assembled from the session
record, due 7 calendar days after the session (§U.1), tracked until marked submitted, on the
worklist and the Today list of the prescriber and the clinic admin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role
from kapclinic.dosing.models import RemsFormSubmission, SignedRecordError
from kapclinic.dosing.notes import selectors, services
from kapclinic.dosing.notes.rems import FORM_VERSION, assemble_monitoring_form
from kapclinic.dosing.rules import rems_form
from kapclinic.dosing.rules.rems_form import RemsFormStatus
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.services import DosingError, record_vitals
from kapclinic.dosing.tests.esketamine import esketamine_appointments, esketamine_session
from kapclinic.ledger.models import Entry
from kapclinic.ledger.tests.conftest import Stock, staff

FRIDAY = date(2026, 12, 4)


def test_the_form_is_due_the_same_weekday_a_week_later_holidays_included() -> None:
    """R-REMS-5 with §U.1: the session's day + 7 calendar days; a Friday's form by the next
    Friday, the Christmas week counted like any other."""
    assert rems_form.due_on(FRIDAY) == date(2026, 12, 11)
    assert rems_form.due_on(date(2026, 12, 24)) == date(2026, 12, 31)
    assert rems_form.due_on(FRIDAY, days=5) == date(2026, 12, 9)  # a stricter clinic
    with pytest.raises(ValueError, match="1 to 7"):
        rems_form.due_on(FRIDAY, days=8)


def test_the_form_is_due_then_due_today_then_overdue_until_submitted() -> None:
    """R-REMS-5: its status day by day, and whether a submission was on time."""
    due = rems_form.due_on(FRIDAY)
    assert rems_form.status(due, FRIDAY) == RemsFormStatus.DUE
    assert rems_form.status(due, due) == RemsFormStatus.DUE_TODAY
    assert rems_form.status(due, due + timedelta(days=1)) == RemsFormStatus.OVERDUE
    assert rems_form.status(due, due + timedelta(days=9), due) == RemsFormStatus.SUBMITTED
    late = due + timedelta(days=1)
    assert rems_form.status(due, late, late) == RemsFormStatus.SUBMITTED_LATE
    assert rems_form.days_left(due, FRIDAY) == 7


def _noon(stock: Stock, day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=stock.clinic.tzinfo)


def test_the_form_is_assembled_from_the_session_record(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-REMS-5, R-REMS-3, §U.1: dose and lot from the administration; blood pressure before,
    at about 40 minutes and before the end; pulse oximetry; sedation; the monitoring time from
    the first device to discharge; what the record lacks is said, not guessed."""
    dosed_at = _noon(stock, FRIDAY)
    made = esketamine_session(stock, receive, dosed_at=dosed_at)
    pmf = assemble_monitoring_form(made.session)
    patient = made.session.patient
    mg = Decimal(28 if patient.age_on(FRIDAY) >= 65 else 56)
    assert pmf.treatment_date == FRIDAY
    assert pmf.first_treatment
    assert (pmf.total_dose_mg, pmf.lot_numbers) == (mg, ("D-1",))
    assert [d.devices for d in pmf.doses] == [int(mg) // 28]
    assert pmf.bp_before is not None
    assert (pmf.bp_before.systolic, pmf.bp_before.diastolic) == (
        128,
        82,
    )  # the checklist's pre-dose reading (conftest.complete_checklist)
    assert pmf.bp_at_40 is not None
    assert pmf.bp_at_40.minutes_after_dose == 40
    assert pmf.bp_at_40.systolic == 148
    assert pmf.bp_before_end is not None
    assert pmf.bp_before_end.minutes_after_dose == 125
    assert (pmf.pulse_oximetry_checked, pmf.spo2_readings) == (True, 2)
    assert pmf.lowest_spo2 == Decimal(96)
    assert (pmf.sedation, pmf.lowest_moaas) == (True, 4)
    assert pmf.total_monitoring_minutes == 125
    assert not pmf.respiratory_depression
    assert pmf.healthcare_setting == stock.clinic.name
    assert pmf.monitoring_providers == (stock.nurse.user.display_name,)
    assert any("REMS enrolment" in m for m in pmf.missing)
    assert any("CADSS" in m for m in pmf.missing)
    assert not any("R-REMS-3" in m for m in pmf.missing)


def test_a_session_still_monitored_lacks_the_end_of_monitoring(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-REMS-3: without a reading after the 40-minute one, the form says what is missing;
    R-ALR-4: a saturation below 92% is the form's respiratory depression; R-REMS-9: the form
    says which version of its content it follows."""
    made = esketamine_session(
        stock, receive, dosed_at=stock.now - timedelta(hours=1), discharge=False
    )
    assert not assemble_monitoring_form(made.session).respiratory_depression
    low = made.dosed_at + timedelta(minutes=20)
    record_vitals(
        actor=made.nurse,
        session=made.session,
        readings={VitalKind.SPO2: Decimal(89)},
        taken_at=low,
        now=low,
    )
    pmf = assemble_monitoring_form(made.session)
    assert pmf.respiratory_depression
    assert pmf.lowest_spo2 == Decimal(89)
    assert pmf.form_version == FORM_VERSION
    assert pmf.bp_before_end is None
    assert pmf.total_monitoring_minutes is None
    assert any("before the end (R-REMS-3)" in m for m in pmf.missing)
    assert any("not discharged yet" in m for m in pmf.missing)


def _admin(stock: Stock) -> Actor:
    return Actor.for_user(staff(stock.clinic, Role.CLINIC_ADMIN), stock.clinic)


def test_with_frozen_time_the_worklist_says_due_due_today_then_overdue(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-REMS-5 with §U.1: a Friday's form is due through the next Friday, in the clinic's
    time zone; the day after it is overdue (kapclinic/today/tests: its Today item)."""
    made = esketamine_session(stock, receive, dosed_at=_noon(stock, FRIDAY))
    prescriber = stock.prescriber

    def row_on(day: date, hour: int = 23) -> selectors.RemsFormRow:
        with time_machine.travel(
            datetime.combine(day, time(hour, 30), tzinfo=stock.clinic.tzinfo), tick=False
        ):
            worklist = selectors.rems_worklist(actor=prescriber, now=timezone.now())
        return next(r for r in worklist.due if r.session.pk == made.session.pk)

    assert row_on(FRIDAY).status == RemsFormStatus.DUE
    assert row_on(date(2026, 12, 10)).days_left == 1
    due_day = row_on(date(2026, 12, 11))
    assert (due_day.status, due_day.due_on) == (RemsFormStatus.DUE_TODAY, date(2026, 12, 11))
    overdue = row_on(date(2026, 12, 12), hour=0)
    assert (overdue.status, overdue.days_overdue) == (RemsFormStatus.OVERDUE, 1)


def test_marking_it_submitted_takes_it_off_the_worklist_and_keeps_what_was_sent(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-REMS-5: who, on which day, the REMS confirmation number, on time or not, the content
    as it was; the due day is the rule's."""
    made = esketamine_session(stock, receive, dosed_at=_noon(stock, FRIDAY))
    now = _noon(stock, date(2026, 12, 14))  # the Monday after the due Friday
    submission = services.mark_rems_form_submitted(
        actor=_admin(stock),
        session=made.session,
        confirmation_number=" PMF-2026-00417 ",
        submitted_on=date(2026, 12, 9),
        now=now,
    )
    assert submission.confirmation_number == "PMF-2026-00417"
    assert submission.due_on == rems_form.due_on(FRIDAY)
    assert submission.on_time
    assert submission.content["lot_numbers"] == ["D-1"]
    assert len(submission.content_sha256) == 64
    worklist = selectors.rems_worklist(actor=stock.prescriber, now=now)
    assert made.session.pk not in {r.session.pk for r in worklist.due}
    assert made.session.pk in {r.session.pk for r in worklist.submitted}
    with pytest.raises(DosingError, match="already marked submitted"):
        services.mark_rems_form_submitted(
            actor=stock.prescriber,
            session=made.session,
            confirmation_number="PMF-2",
            submitted_on=date(2026, 12, 9),
            now=now,
        )
    with pytest.raises(SignedRecordError):
        submission.delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE dosing_remsformsubmission SET confirmation_number = 'X' WHERE id = %s",
            [submission.pk],
        )


@pytest.mark.parametrize(
    ("number", "day", "message"),
    [
        ("", date(2026, 12, 9), "Type the confirmation number"),
        ("<script>", date(2026, 12, 9), "letters and digits"),
        ("A" * 41, date(2026, 12, 9), "letters and digits"),
        ("PMF-1", date(2026, 12, 3), "between 2026-12-04"),
        ("PMF-1", date(2026, 12, 15), "between 2026-12-04"),
    ],
)
def test_a_bad_confirmation_or_day_is_refused_and_nothing_is_stored(
    stock: Stock, receive: Callable[..., Entry], number: str, day: date, message: str
) -> None:
    """R-REMS-5: the number as the REMS gave it; the day between the session and today."""
    made = esketamine_session(stock, receive, dosed_at=_noon(stock, FRIDAY))
    with pytest.raises(DosingError, match=message):
        services.mark_rems_form_submitted(
            actor=stock.prescriber,
            session=made.session,
            confirmation_number=number,
            submitted_on=day,
            now=_noon(stock, date(2026, 12, 14)),
        )
    assert not RemsFormSubmission.objects.filter(session=made.session).exists()


def test_only_after_monitoring_and_only_by_the_prescriber_or_admin(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-REMS-5: the form reports the whole session, so it is submitted once the patient may
    leave; a nurse does not mark it."""
    made = esketamine_session(
        stock, receive, dosed_at=stock.now - timedelta(hours=1), discharge=False
    )
    today = stock.now.astimezone(stock.clinic.tzinfo).date()
    call = {"session": made.session, "confirmation_number": "PMF-9", "submitted_on": today}
    with pytest.raises(DosingError, match="Monitoring has not ended"):
        services.mark_rems_form_submitted(actor=stock.prescriber, now=stock.now, **call)  # type: ignore[arg-type]
    with pytest.raises(DosingError, match="prescriber or the clinic's admin"):
        services.mark_rems_form_submitted(actor=stock.nurse, now=stock.now, **call)  # type: ignore[arg-type]


def test_the_worklist_takes_the_same_queries_whatever_the_number_of_sessions(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-REMS-5: the worklist reads a constant number of queries (its Today list: in
    kapclinic/today/tests)."""
    appointments = esketamine_appointments(stock)
    assert len(appointments) >= 3
    now = _noon(stock, date(2026, 12, 20))

    def queries() -> int:
        with CaptureQueriesContext(connection) as worklist:
            selectors.rems_worklist(actor=stock.prescriber, now=now)
        return len(worklist.captured_queries)

    first = esketamine_session(
        stock, receive, dosed_at=_noon(stock, FRIDAY), appointment=appointments[0]
    )
    one = queries()
    for n, appointment in enumerate(appointments[1:3], start=1):
        esketamine_session(
            stock,
            receive,
            dosed_at=_noon(stock, FRIDAY + timedelta(days=n)),
            appointment=appointment,
        )
    services.mark_rems_form_submitted(
        actor=stock.prescriber,
        session=first.session,
        confirmation_number="PMF-1",
        submitted_on=date(2026, 12, 8),
        now=now,
    )
    assert queries() == one
    worklist = selectors.rems_worklist(actor=stock.prescriber, now=now)
    assert len(worklist.due) >= 2
    assert len(worklist.submitted) >= 1
