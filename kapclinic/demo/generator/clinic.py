"""``generate_clinic``: the whole synthetic clinic for a seed and a date, and the tests' helpers
that add patients to it (kapclinic.demo.generator)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction

from kapclinic.accounts.models import Clinic, Organization, Role, StaffMembership
from kapclinic.demo.courses import CourseBook, CourseCounts, finish_course_book
from kapclinic.demo.generator.organisation import (
    DEMO_PASSWORD,
    clinic_count_for,
    create_clinics,
    create_demo_portal_login,
    create_rooms,
    create_staff,
    publish_demo_consent_documents,
)
from kapclinic.demo.generator.patients import new_diagnoses, new_history, new_patient
from kapclinic.demo.generator.people import Ids
from kapclinic.demo.ledger import LedgerCounts, add_stock_histories
from kapclinic.demo.plans import PlanCounts, enrol_live_courses, portal_patient
from kapclinic.demo.preparation import PreparationCounts, add_preparation
from kapclinic.demo.stages import IntakeStages, PatientHistory, StageCounts, clinic_documents
from kapclinic.demo.trajectories import TrajectoryCounts, add_trajectories
from kapclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    Medication,
    Patient,
)


@dataclass
class GenerationResult:
    organizations: int = 0
    clinics: int = 0
    rooms: int = 0
    staff: int = 0
    memberships: int = 0
    patients: int = 0
    diagnoses: int = 0
    measurements: int = 0
    medications: int = 0
    allergies: int = 0
    consent_documents: int = 0
    stages: StageCounts = field(default_factory=StageCounts)
    safety_tasks_left: tuple[int, int] = (0, 0)  # still open, escalated (with ``now``: stages)
    trajectories: TrajectoryCounts = field(default_factory=TrajectoryCounts)
    plans: PlanCounts = field(default_factory=PlanCounts)  # live courses' plans (demo.plans)
    courses: CourseCounts = field(default_factory=CourseCounts)  # on the calendar (demo.courses)
    ledger: LedgerCounts = field(default_factory=LedgerCounts)  # stock histories (demo.ledger)
    # Playlists and a coming session prepared (demo.preparation)
    preparation: PreparationCounts = field(default_factory=PreparationCounts)
    logins: dict[str, str] = field(default_factory=dict)


def _batches(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


def generate_clinic(
    *,
    patients: int,
    seed: int,
    today: date,
    progress: Callable[[int], object] | None = None,
    batch_size: int = 5000,
    plans: bool = False,
    now: datetime | None = None,
) -> GenerationResult:
    """Create an organisation with clinics, rooms, staff, the consent documents and
    ``patients`` patients, with their history and intake stages (kapclinic.demo.stages).

    Intake history ends before ``today``; scores and sessions before ``now`` when given (an
    instant on ``today``: generate_demo on the real date), else before the start of ``today``
    in each clinic's zone; with ``now``, screenings earlier today too, and each clinic shows
    an open urgent safety task (kapclinic.demo.stages). Sessions fall on the clinic's working
    days, in its hours (kapclinic.demo.workweek). The same (patients, seed, today, now) always
    gives the same rows, public ids included, except those the plan and escalation services
    write (kapclinic.demo.plans; the admins' notices), which draw their own ids.

    Each clinic's staff get working hours and leave, and the consented patients' courses are
    booked on the clinics' calendars with their resource holds, before the score histories
    that hang off those sessions (kapclinic.demo.courses). Then each clinic's controlled-
    substance ledger is written through the ledger's services, an administration for each
    attended dosing session (kapclinic.demo.ledger), in transactions of its own.

    With ``plans`` (``generate_demo``: make run and the benchmark), every course running or
    about to start is measured by its plan through the plan service, and the portal's demo
    login goes to one of them; without it (the tests' clinics: the service path costs about
    20 ms a response), those courses are history like the rest and the login goes to the
    clinic's first patient.

    The clinic, its patients, their intake and their score histories are written in one
    transaction. With ``plans``, each live course is then enrolled and replayed in a transaction
    of its own (kapclinic.demo.plans), as a clinic's calls of the plan service commit one by one:
    in one transaction, the audit entries of tens of thousands of service calls would make
    PostgreSQL walk every earlier version of the audit chain's head row at each entry. The
    portal login comes last, in its own. Should a course fail, the clinic stays without the
    plans of the courses after it: generate into an empty database again.

    Precondition: the database holds no organisation yet (the caller checks).
    """
    rng = random.Random(seed)
    ids = Ids(rng)
    result = GenerationResult()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 is slow by design

    with transaction.atomic():
        org = Organization.objects.create(name="Demo Health Partners", public_id=ids.next())
        result.organizations = 1
        clinics = create_clinics(rng, ids, org, clinic_count_for(patients))
        result.clinics = len(clinics)
        result.rooms = create_rooms(rng, ids, clinics)
        result.staff, result.memberships, result.logins = create_staff(
            rng, ids, clinics, password_hash
        )

        result.consent_documents = publish_demo_consent_documents(today=today)
        stages = IntakeStages(
            seed=seed,
            today=today,
            clinics=clinics,
            documents=clinic_documents(clinics),
            patients=patients,
            now=now,
        )

        _add_patients(
            rng, ids, seed, clinics, stages, patients, today, batch_size, result, progress
        )
        result.safety_tasks_left = stages.show_open_safety_tasks()  # with ``now`` only
        result.stages = stages.counts
        book = CourseBook(seed=seed, clinics=clinics, today=today)
        result.trajectories = add_trajectories(
            seed=seed, today=today, now=now, live_through_plans=plans, book=book
        )
        _show_every_stage(book, clinics, result.trajectories, today=today, now=now)
        result.courses = finish_course_book(book, clinics, today=today, now=now)
    # The controlled-substance ledger of the attended dosing sessions, through its services
    # (kapclinic.demo.ledger), in transactions of its own.
    result.ledger = add_stock_histories(
        seed=seed,
        clinics=clinics,
        cutoffs=CourseBook.cutoffs(clinics, today=today, now=now),
        password=DEMO_PASSWORD,
    )
    # Each clinic's playlists and one coming dosing session prepared in part, through the
    # dosing services (kapclinic.demo.preparation), a transaction per clinic.
    result.preparation = add_preparation(
        clinics=clinics, cutoffs=CourseBook.cutoffs(clinics, today=today, now=now)
    )
    live = result.trajectories.live
    result.plans = (
        enrol_live_courses(live, seed=seed)  # a transaction per course
        if plans
        else PlanCounts(live=len(live), upcoming=sum(c.upcoming for c in live))
    )
    with transaction.atomic():
        preferred = portal_patient(live, clinics[0]) if plans else None
        portal_login = create_demo_portal_login(ids, clinics[0], password_hash, preferred)
    if portal_login:
        result.logins["Patient"] = portal_login
    return result


def _show_every_stage(
    book: CourseBook,
    clinics: list[Clinic],
    trajectories: TrajectoryCounts,
    *,
    today: date,
    now: datetime | None,
) -> None:
    """A pause in each clinic that drew none (kapclinic.demo.courses): the paused course's
    sessions after the cutoff are cancelled, so they leave its trajectory (nor are they booked
    in its measurement plan)."""
    paused = book.show_every_stage(CourseBook.cutoffs(clinics, today=today, now=now))
    for course in trajectories.live:
        if course.patient_id in paused:
            course.sessions = [s for s in course.sessions if s.starts_at < course.cutoff]


def _add_patients(
    rng: random.Random,
    ids: Ids,
    seed: int,
    clinics: list[Clinic],
    stages: IntakeStages,
    patients: int,
    today: date,
    batch_size: int,
    result: GenerationResult,
    progress: Callable[[int], object] | None,
) -> None:
    """Create ``patients`` patients in ``clinics`` with history and intake stages."""
    # Clinical history comes from its own PRNG stream, so adding kinds of history later does not
    # change the patients (or their public ids) that a seed gives.
    history_rng = random.Random(seed * 7919 + 1)
    history_ids = Ids(history_rng)
    recorder = {
        m.clinic_id: m.user
        for m in StaffMembership.objects.filter(role=Role.NURSE)
        .select_related("user")
        .order_by("-id")
    }
    # Clinics near the organisation's founding site see more patients.
    weights = [1.0 / (1 + 0.15 * i) for i in range(len(clinics))]
    next_mrn = {c.pk: Patient.objects.filter(clinic=c).count() for c in clinics}
    for size in _batches(patients, batch_size):
        batch: list[Patient] = []
        for _ in range(size):
            clinic = rng.choices(clinics, weights=weights)[0]
            next_mrn[clinic.pk] += 1
            batch.append(new_patient(rng, ids, clinic, next_mrn[clinic.pk], today))
        created = Patient.objects.bulk_create(batch)
        per_patient = [new_diagnoses(rng, ids, p, today) for p in created]
        diagnoses = [d for dx in per_patient for d in dx]
        Diagnosis.objects.bulk_create(diagnoses, batch_size=batch_size)
        history = [
            new_history(history_rng, history_ids, p, recorder[p.clinic_id], today) for p in created
        ]
        measurements = [m for h in history for m in h[0]]
        medications = [m for h in history for m in h[1]]
        allergies = [a for h in history for a in h[2]]
        BodyMeasurement.objects.bulk_create(measurements, batch_size=batch_size)
        Medication.objects.bulk_create(medications, batch_size=batch_size)
        Allergy.objects.bulk_create(allergies, batch_size=batch_size)
        stages.add(
            [
                PatientHistory(p, dx, *h)
                for p, dx, h in zip(created, per_patient, history, strict=True)
            ]
        )
        result.patients += len(created)
        result.diagnoses += len(diagnoses)
        result.measurements += len(measurements)
        result.medications += len(medications)
        result.allergies += len(allergies)
        if progress is not None:
            progress(size)


def add_patients(*, patients: int, seed: int, today: date) -> GenerationResult:
    """``patients`` more patients, with their history and intake stages (referrals,
    screenings, consent), in the clinics of an existing demo; for tests that check a page's
    queries do not grow with the data. Use a seed other than the demo's."""
    rng = random.Random(seed)
    ids = Ids(rng)
    result = GenerationResult()
    clinics = list(Clinic.objects.order_by("id"))
    stages = IntakeStages(
        seed=seed,
        today=today,
        clinics=clinics,
        documents=clinic_documents(clinics),
        patients=patients,
    )
    first_new = Patient.objects.order_by("-id").values_list("id", flat=True).first() or 0
    _add_patients(rng, ids, seed, clinics, stages, patients, today, 5000, result, None)
    result.stages = stages.counts
    # Their courses, on the calendar as the demo's (their score histories with them).
    new = list(Patient.objects.filter(id__gt=first_new).values_list("id", flat=True))
    book = CourseBook(seed=seed, clinics=clinics, today=today)
    result.trajectories = add_trajectories(
        seed=seed, today=today, live_through_plans=False, book=book, patients=new
    )
    _show_every_stage(book, clinics, result.trajectories, today=today, now=None)
    result.courses = finish_course_book(book, clinics, today=today, now=None, patients=new)
    return result


def add_new_patient(
    *, clinic: Clinic, seed: int, today: date, given_name: str = "", family_name: str = ""
) -> Patient:
    """One newly registered patient of ``clinic``: generated details (sex, name, birth date,
    phone, e-mail) under the clinic's next MRN, and no history yet (no diagnosis, weight,
    medication, allergy, referral, screening or consent); for tests of a first record. Each
    call needs its own seed (the seed draws the public id). ``given_name`` and ``family_name``
    replace the drawn name (tests of name search)."""
    rng = random.Random(seed)
    number = Patient.objects.filter(clinic=clinic).count() + 1
    patient = new_patient(rng, Ids(rng), clinic, number, today)
    patient.given_name = given_name or patient.given_name
    patient.family_name = family_name or patient.family_name
    patient.save()  # save() refreshes the search fields
    return patient
