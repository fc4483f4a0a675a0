"""Measurement plans for the demo: every course still running or about to start on the demo's
day (``Course.live``, kapclinic.demo.trajectories) is measured by its clinic's plan, through
the plan service, so the worklist, Today and the portal show what is due and overdue as a
clinic would see them that day.

For each live course, by the clinic's demo nurse:

- ``enrol`` in the plan that matches the treatment: the shipped default (dosing sessions, with
  the mood ratings) for ketamine, the demo's talk-therapy plan (the same questionnaires without
  the mood ratings, published by the clinic admin through ``create_plan``) for talk therapy;
  the course starts on its first session's day, so the baseline is due from a week before;
- every session is booked (``on_session_scheduled``), and each that ended before the demo's
  day is closed (``on_session_ended``): the plan assigns the questionnaires around it;
- each response the course's story holds before the demo's day answers its assignment
  (``record_response`` with the assignment), at the time it was given.

A patient at home does not always open the link: the day-after rating of a session in the
last ``Clinic.questionnaire_missed_after_days`` is left unanswered one time in three, so it is
overdue on the worklist (older ones are answered: the plan sweep would have closed them as
missed). Courses that ended before the demo's day are history only (no enrolment): their
follow-up questionnaires are not on the worklist.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.demo.trajectories import Course
from kapclinic.demo.workweek import workweeks
from kapclinic.measurement.assignments.rules import DEFAULT_PLAN, PHQ9_GAD7, PlanSpec
from kapclinic.measurement.models import Assignment, MeasurementPlan, Mode, Occasion
from kapclinic.measurement.plans.selectors import get_open_enrolment, list_enrollable_plans
from kapclinic.measurement.plans.services import (
    create_plan,
    enrol,
    ensure_default_plan,
    on_session_ended,
    on_session_scheduled,
)
from kapclinic.measurement.responses.services import record_response
from kapclinic.patients.models import Patient

NURSE: Final = (Role.NURSE,)
UNANSWERED_SHARE: Final = 1 / 3
# The default plan without the dosing-session mood ratings: what talk therapy measures (R-OUT-9:
# PHQ-9 + GAD-7 at baseline, before each session, at the end of the course, then monthly).
TALK_THERAPY_PLAN: Final = PlanSpec(
    code="talk-therapy",
    version=1,
    name="Talk therapy measurement plan",
    description=(
        "PHQ-9 and GAD-7 at baseline, before each therapy session and at the end of the course, "
        "then every 30 days in follow-up."
    ),
    source="R-OUT-9 (reference §11.G); the default plan without the dosing mood ratings",
    rules=tuple(r for r in DEFAULT_PLAN.rules if r.instrument_codes == PHQ9_GAD7),
)

_Key = tuple[str, str, uuid.UUID | None]  # occasion, instrument, session


@dataclass
class PlanCounts:
    live: int = 0  # courses not ended before the cutoff (Course.live)
    upcoming: int = 0  # of which no session yet
    enrolled: int = 0  # enrolled in a measurement plan (every live course)
    talk_therapy: int = 0  # of which in the talk-therapy plan
    sessions_booked: int = 0
    responses: int = 0  # recorded through the plan
    unanswered: int = 0  # day-after ratings left for the worklist

    @property
    def in_progress(self) -> int:
        return self.live - self.upcoming

    def summary(self) -> str:
        return (
            f"{self.live} live courses ({self.upcoming} upcoming, {self.in_progress} in "
            f"progress), {self.enrolled} enrolled in a measurement plan ({self.talk_therapy} "
            f"talk therapy), {self.sessions_booked} sessions booked, {self.responses} responses "
            f"through the plan, {self.unanswered} left unanswered"
        )


def enrol_live_courses(courses: Sequence[Course], *, seed: int) -> PlanCounts:
    """Enrol every live course in its plan and record its history through the plan (see the
    module docstring), each course in a transaction of its own. Returns what was done."""
    counts = PlanCounts(live=len(courses), upcoming=sum(c.upcoming for c in courses))
    if not courses:
        return counts
    rng = random.Random(seed * 7907 + 17)  # its own stream: the trajectories stay as they were
    patients = Patient.objects.select_related("clinic").in_bulk([c.patient_id for c in courses])
    clinics = {p.clinic_id: p.clinic for p in patients.values()}
    nurses, admins = _first_of(Role.NURSE, clinics), _first_of(Role.CLINIC_ADMIN, clinics)
    plans = {
        (pk, ketamine): _plan(clinic, ketamine=ketamine, admin=admins[pk])
        for pk, clinic in clinics.items()
        for ketamine in (True, False)
    }
    for course in sorted(courses, key=lambda c: c.patient_id):
        patient = patients[course.patient_id]
        # One transaction per course, as the service calls would commit in a clinic: in one
        # for all, PostgreSQL walks every earlier version of the audit chain's head row at each
        # entry (the benchmark's 100,000 patients write about 22,000 entries here).
        with transaction.atomic():
            _replay(
                course, patient, plans[(patient.clinic_id, course.ketamine)], nurses, rng, counts
            )
        counts.enrolled += 1
        counts.talk_therapy += not course.ketamine
    return counts


def _first_of(role: Role, clinics: dict[int, Clinic]) -> dict[int, User]:
    """Each clinic's first (demo) holder of ``role``."""
    found: dict[int, User] = {}
    for m in (
        StaffMembership.objects.filter(clinic__in=list(clinics), role=role, is_active=True)
        .select_related("user")
        .order_by("id")
    ):
        found.setdefault(m.clinic_id, m.user)
    return found


def _plan(clinic: Clinic, *, ketamine: bool, admin: User) -> MeasurementPlan:
    if ketamine:
        return ensure_default_plan(clinic=clinic)
    spec = TALK_THERAPY_PLAN
    for plan in list_enrollable_plans(clinic):
        if (plan.code, plan.version) == (spec.code, spec.version):
            return plan
    return create_plan(
        actor=Actor(user=admin, roles=frozenset({Role.CLINIC_ADMIN})), clinic=clinic, spec=spec
    )


def _key(a: Assignment) -> _Key:
    return (a.occasion, a.instrument_code, a.session_ref)


def _replay(
    course: Course,
    patient: Patient,
    plan: MeasurementPlan,
    nurses: dict[int, User],
    rng: random.Random,
    counts: PlanCounts,
) -> None:
    nurse = nurses[patient.clinic_id]
    first = course.sessions[0].starts_at
    enrolment = enrol(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        patient=patient,
        plan=plan,
        starts_on=first.date(),
    )
    assigned = {_key(a): a for a in Assignment.objects.filter(enrolment=enrolment)}
    for session in course.sessions:
        created = on_session_scheduled(
            patient=patient,
            session_ref=session.ref,
            starts_at=session.starts_at,
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
        )
        assigned.update((_key(a), a) for a in created)
        counts.sessions_booked += 1
        if session.ends_at < course.cutoff:
            created = on_session_ended(
                patient=patient,
                session_ref=session.ref,
                ended_at=session.ends_at,
                actor=Actor(user=nurse, roles=frozenset(NURSE)),
            )
            assigned.update((_key(a), a) for a in created)
    recent = course.cutoff - timedelta(days=patient.clinic.questionnaire_missed_after_days)
    for response in course.responses:
        assignment = assigned[(response.occasion, response.instrument_code, response.session_ref)]
        if (
            response.occasion == Occasion.DAY_AFTER
            and assignment.overdue_at >= recent
            and rng.random() < UNANSWERED_SHARE
        ):
            counts.unanswered += 1
            continue
        record_response(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            patient=patient,
            instrument_code=response.instrument_code,
            mode=Mode(response.mode),
            occasion=None,
            answers=response.answers,
            now=response.completed_at or course.cutoff,  # always set on a course's response
            assignment_id=assignment.public_id,
        )
        counts.responses += 1


def portal_patient(courses: Iterable[Course], clinic: Clinic) -> int | None:
    """The live course in ``clinic`` the portal's demo login belongs to: one with a
    questionnaire to fill in at home already due when the history ends (so it is there, due
    or overdue, whenever the demo is opened later), then a ketamine course, then the most
    sessions had."""
    mine = [c for c in courses if c.clinic_id == clinic.pk]
    if not mine:
        return None
    cutoff = mine[0].cutoff
    due = set(
        Assignment.objects.filter(
            patient_id__in=[c.patient_id for c in mine],
            status=Assignment.Status.OPEN,
            due_at__lte=cutoff,
        )
        .exclude(mode=Mode.STAFF)
        .values_list("patient_id", flat=True)
    )

    def rank(c: Course) -> tuple[bool, bool, int, int]:
        had = sum(s.starts_at < c.cutoff for s in c.sessions)
        return (c.patient_id in due, c.ketamine, had, -c.patient_id)

    return max(mine, key=rank).patient_id


def enrol_portal_patient(*, email: str, today: date) -> bool:
    """Give the portal's demo patient (``email``) something due when the demo had no live
    course for them (a demo of a few patients): their clinic's default plan, the course
    starting on its first working day two days after ``today`` or later, so its baseline
    questionnaires are due on the portal page. Nothing when they are already enrolled (or there
    is no such patient). Called by ``generate_demo`` (``make run``) only."""
    patient = (
        Patient.objects.filter(portal_user__email=email, merged_into=None)
        .select_related("clinic")
        .first()
    )
    if patient is None or get_open_enrolment(patient.pk) is not None:
        return False
    clinic = patient.clinic
    nurse = _first_of(Role.NURSE, {clinic.pk: clinic}).get(clinic.pk)
    week = workweeks([clinic])[clinic.pk]
    if nurse is None or not week.hours:
        return False
    enrol(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        patient=patient,
        plan=ensure_default_plan(clinic=clinic),
        starts_on=week.open_from(today + timedelta(days=2)),  # a working day
    )
    return True
