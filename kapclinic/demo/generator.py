"""The synthetic clinic: a realistic organisation, deterministic for a seed and a date.

It is the data of the demo (``make run``), of the tests and of the benchmarks. Every value is
invented; name parts are combined at random, phone numbers use the unassigned 555 area code and
e-mail addresses the reserved example.org domain, so no record describes a real person.
Intake (referrals, screenings, eligibility decisions, consent) comes from
``kapclinic.demo.stages``; later issues hook their data in here (assessments, sessions, ledger...).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from kapclinic.accounts.credentials import DEMO_EMAIL_DOMAIN
from kapclinic.accounts.models import (
    Clinic,
    OpeningHours,
    Organization,
    Role,
    Room,
    StaffMembership,
    User,
)
from kapclinic.consent.demo import seed_consent_documents
from kapclinic.demo import names
from kapclinic.demo.names import ascii_fold as ascii_fold
from kapclinic.demo.plans import PlanCounts, enrol_live_courses, portal_patient
from kapclinic.demo.stages import IntakeStages, PatientHistory, StageCounts, clinic_documents
from kapclinic.demo.trajectories import TrajectoryCounts, add_trajectories
from kapclinic.patients import icd10
from kapclinic.patients.interactions import classify
from kapclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    Medication,
    Patient,
    Sex,
)
from kapclinic.scheduling.services import ensure_shipped_protocols

DEMO_PASSWORD = "kap-demo-2026"  # noqa: S105 - printed by `make run`; demo data only
# Demo logins may skip 2FA in the demo profile only: accounts owns the domain that marks them.
DEMO_DOMAIN = DEMO_EMAIL_DOMAIN
# One named login per role, all in the first clinic (the admin and the prescriber also work
# in the second clinic, to show clinic switching and different clinics' boundaries).
DEMO_LOGINS: dict[Role, tuple[str, str, str]] = {
    Role.CLINIC_ADMIN: (f"admin@{DEMO_DOMAIN}", "Avery Admin", ""),
    Role.PRESCRIBER: (f"prescriber@{DEMO_DOMAIN}", "Dr. Priya Prescott", "MD"),
    Role.NURSE: (f"nurse@{DEMO_DOMAIN}", "Noah Nightingale", "RN"),
    Role.THERAPIST: (f"therapist@{DEMO_DOMAIN}", "Tamar Thera", "LCSW"),
    Role.FRONT_DESK: (f"frontdesk@{DEMO_DOMAIN}", "Felipe Front", ""),
    Role.RESEARCHER: (f"researcher@{DEMO_DOMAIN}", "Riley Research", "PhD"),
}
# The patient portal's demo login: the first patient of the first clinic.
DEMO_PATIENT_LOGIN = f"patient@{DEMO_DOMAIN}"

# name, code, address, city, region, postal code, time zone
CLINIC_SITES = [
    (
        "Harborview KAP Clinic",
        "BOS",
        "100 Harbor Blvd",
        "Boston",
        "MA",
        "02110",
        "America/New_York",
    ),
    ("Lakeside KAP Clinic", "CHI", "22 Lakeview Dr", "Chicago", "IL", "60601", "America/Chicago"),
    ("Front Range KAP Clinic", "DEN", "7 Cedar Rd", "Denver", "CO", "80202", "America/Denver"),
    (
        "Bayside KAP Clinic",
        "SFO",
        "450 Oak St",
        "San Francisco",
        "CA",
        "94105",
        "America/Los_Angeles",
    ),
    ("Desert Bloom KAP Clinic", "PHX", "18 Elm St", "Phoenix", "AZ", "85004", "America/Phoenix"),
    ("Music Row KAP Clinic", "BNA", "3 Maple Ave", "Nashville", "TN", "37203", "America/Chicago"),
    ("Capitol KAP Clinic", "DCA", "900 Pine Ct", "Washington", "DC", "20001", "America/New_York"),
    ("Puget KAP Clinic", "SEA", "61 Harbor Blvd", "Seattle", "WA", "98101", "America/Los_Angeles"),
]

# ICD-10-CM primary diagnoses of people referred to a KAP programme, with relative weights. The
# titles come from the shipped code list (kapclinic.patients.icd10); a code it lacks, or a
# category that is no billable code, fails generation rather than making up a diagnosis.
PRIMARY_DIAGNOSES: list[tuple[str, int]] = [
    ("F33.1", 30),  # Major depressive disorder, recurrent, moderate
    ("F33.2", 15),  # Major depressive disorder, recurrent severe without psychotic features
    ("F32.1", 10),  # Major depressive disorder, single episode, moderate
    ("F32.2", 8),  # Major depressive disorder, single episode, severe without psychotic features
    ("F32.A", 4),  # Depression, unspecified
    ("F33.9", 4),  # Major depressive disorder, recurrent, unspecified
    ("F43.10", 10),  # Post-traumatic stress disorder, unspecified
    ("F43.12", 5),  # Post-traumatic stress disorder, chronic
    ("F41.1", 8),  # Generalized anxiety disorder
    ("F31.81", 3),  # Bipolar II disorder
    ("F31.4", 2),  # Bipolar disorder, current episode depressed, severe, without psychotic ...
    ("F42.2", 1),  # Mixed obsessional thoughts and acts
]
SECONDARY_DIAGNOSES: list[tuple[str, int]] = [
    ("F41.1", 25),  # Generalized anxiety disorder
    ("G47.00", 20),  # Insomnia, unspecified
    ("F41.0", 10),  # Panic disorder [episodic paroxysmal anxiety]
    ("F10.20", 8),  # Alcohol dependence, uncomplicated
    ("F12.20", 5),  # Cannabis dependence, uncomplicated
    ("I10", 15),  # Essential (primary) hypertension
    ("E66.9", 10),  # Obesity, unspecified
    ("H40.9", 2),  # Unspecified glaucoma
    ("G40.909", 1),  # Epilepsy, unspecified, not intractable, without status epilepticus
]

StaffPlan = list[tuple[Role, str]]  # (role, credential)
STAFF_PER_CLINIC: StaffPlan = [
    (Role.CLINIC_ADMIN, ""),
    (Role.PRESCRIBER, "MD"),
    (Role.PRESCRIBER, "NP"),
    (Role.NURSE, "RN"),
    (Role.NURSE, "RN"),
    (Role.NURSE, "RN"),
    (Role.THERAPIST, "LCSW"),
    (Role.THERAPIST, "PhD"),
    (Role.THERAPIST, "LMFT"),
    (Role.FRONT_DESK, ""),
    (Role.FRONT_DESK, ""),
    (Role.RESEARCHER, "PhD"),
]


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
    logins: dict[str, str] = field(default_factory=dict)


def clinic_count_for(patients: int) -> int:
    """Two clinics for a demo; about one clinic per 5,000 patients beyond that (max 8)."""
    return max(2, min(len(CLINIC_SITES), math.ceil(patients / 5000)))


class _Ids:
    """Deterministic UUIDs from the generator's own PRNG."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def next(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> tuple[str, str]:
    """A code drawn by weight, with its title from the code list."""
    code, _ = rng.choices(table, weights=[w for _, w in table])[0]
    listed = icd10.billable(code)
    return listed.code, listed.description


def _birth_date(rng: random.Random, today: date) -> date:
    """Adults of working age mostly; about 12% aged 65+ and 1% under 18 (screening refuses)."""
    roll = rng.random()
    if roll < 0.01:
        age = rng.randint(16, 17)
    elif roll < 0.13:
        age = rng.randint(65, 84)
    else:
        age = min(64, max(18, round(rng.gauss(40, 11))))
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def _sex(rng: random.Random) -> str:
    return rng.choices([Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN], weights=[58, 38, 2, 2])[0]


def _given_name(rng: random.Random, sex: str) -> str:
    if sex == Sex.FEMALE:
        pool = names.GIVEN_FEMALE
    elif sex == Sex.MALE:
        pool = names.GIVEN_MALE
    else:
        pool = names.GIVEN_NEUTRAL + names.GIVEN_FEMALE + names.GIVEN_MALE
    return rng.choice(pool)


def _phone(rng: random.Random) -> str:
    return f"+1-555-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


def _batches(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


@transaction.atomic
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

    With ``plans`` (``generate_demo``: make run and the benchmark), every course running or
    about to start is measured by its plan through the plan service, and the portal's demo
    login goes to one of them; without it (the tests' clinics: the service path costs about
    20 ms a response), those courses are history like the rest and the login goes to the
    clinic's first patient.

    Precondition: the database holds no organisation yet (the caller checks).
    """
    rng = random.Random(seed)
    ids = _Ids(rng)
    result = GenerationResult()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 is slow by design

    org = Organization.objects.create(name="Demo Health Partners", public_id=ids.next())
    result.organizations = 1
    clinics = _create_clinics(rng, ids, org, clinic_count_for(patients))
    result.clinics = len(clinics)
    result.rooms = _create_rooms(rng, ids, clinics)
    result.staff, result.memberships, result.logins = _create_staff(
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

    _add_patients(rng, ids, seed, clinics, stages, patients, today, batch_size, result, progress)
    result.safety_tasks_left = stages.show_open_safety_tasks()  # with ``now`` only
    result.stages = stages.counts
    result.trajectories = add_trajectories(
        seed=seed, today=today, now=now, live_through_plans=plans
    )
    live = result.trajectories.live
    result.plans = (
        enrol_live_courses(live, seed=seed)
        if plans
        else PlanCounts(live=len(live), upcoming=sum(c.upcoming for c in live))
    )
    preferred = portal_patient(live, clinics[0]) if plans else None
    portal_login = _create_demo_portal_login(ids, clinics[0], password_hash, preferred)
    if portal_login:
        result.logins["Patient"] = portal_login
    return result


def _add_patients(
    rng: random.Random,
    ids: _Ids,
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
    history_ids = _Ids(history_rng)
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
            batch.append(_new_patient(rng, ids, clinic, next_mrn[clinic.pk], today))
        created = Patient.objects.bulk_create(batch)
        per_patient = [_new_diagnoses(rng, ids, p, today) for p in created]
        diagnoses = [d for dx in per_patient for d in dx]
        Diagnosis.objects.bulk_create(diagnoses, batch_size=batch_size)
        history = [
            _new_history(history_rng, history_ids, p, recorder[p.clinic_id], today) for p in created
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
    ids = _Ids(rng)
    result = GenerationResult()
    clinics = list(Clinic.objects.order_by("id"))
    stages = IntakeStages(
        seed=seed,
        today=today,
        clinics=clinics,
        documents=clinic_documents(clinics),
        patients=patients,
    )
    _add_patients(rng, ids, seed, clinics, stages, patients, today, 5000, result, None)
    result.stages = stages.counts
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
    patient = _new_patient(rng, _Ids(rng), clinic, number, today)
    patient.given_name = given_name or patient.given_name
    patient.family_name = family_name or patient.family_name
    patient.save()  # save() refreshes the search fields
    return patient


def _create_demo_portal_login(
    ids: _Ids, clinic: Clinic, password_hash: str, preferred: int | None
) -> str:
    """Give a patient of the clinic a portal login (drawn last: earlier rows stay the same):
    ``preferred`` (a live course: kapclinic.demo.plans.portal_patient), else the first one."""
    in_clinic = Patient.objects.filter(clinic=clinic)
    if preferred is not None:
        in_clinic = in_clinic.filter(pk=preferred)
    patient = in_clinic.order_by("mrn").first()
    if patient is None:
        return ""
    user = User.objects.create(
        email=DEMO_PATIENT_LOGIN,
        kind=User.Kind.PATIENT,
        full_name=patient.full_name,
        password=password_hash,
        public_id=ids.next(),
    )
    Patient.objects.filter(pk=patient.pk).update(portal_user=user)
    return DEMO_PATIENT_LOGIN


def _create_clinics(rng: random.Random, ids: _Ids, org: Organization, count: int) -> list[Clinic]:
    clinics = []
    for name, code, street, city, region, postal, tz in CLINIC_SITES[:count]:
        clinic = Clinic.objects.create(
            organization=org,
            name=name,
            code=code,
            address_line=street,
            city=city,
            region=region,
            postal_code=postal,
            country="US",
            jurisdiction="US",
            phone=_phone(rng),
            time_zone=tz,
            public_id=ids.next(),
        )
        hours = [
            OpeningHours(clinic=clinic, weekday=d, opens_at=time(8), closes_at=time(18))
            for d in range(5)
        ]
        if rng.random() < 0.5:
            hours.append(
                OpeningHours(clinic=clinic, weekday=5, opens_at=time(9), closes_at=time(13))
            )
        OpeningHours.objects.bulk_create(hours)
        ensure_shipped_protocols(clinic=clinic)
        clinics.append(clinic)
    return clinics


def _create_rooms(rng: random.Random, ids: _Ids, clinics: list[Clinic]) -> int:
    rooms = []
    for clinic in clinics:
        for number in range(1, rng.randint(2, 4) + 1):
            rooms.append(
                Room(
                    clinic=clinic,
                    name=f"Treatment {number}",
                    kind=Room.Kind.TREATMENT,
                    capacity=1,
                    has_recliner=True,
                    has_eye_masks_and_headphones=True,
                    has_bp_monitor=True,
                    has_pulse_oximeter=True,
                    has_cardiac_monitor=number == 1,
                    has_oxygen=number == 1,
                    notes="Dimmable lights, music system" if number == 1 else "",
                    public_id=ids.next(),
                )
            )
        rooms.append(
            Room(
                clinic=clinic,
                name="Integration room",
                kind=Room.Kind.THERAPY,
                capacity=rng.choice([1, 6, 8]),
                public_id=ids.next(),
                notes="Group integration circles when capacity allows",
            )
        )
        rooms.append(
            Room(
                clinic=clinic,
                name="Consult room",
                kind=Room.Kind.CONSULT,
                capacity=1,
                has_bp_monitor=True,
                has_pulse_oximeter=True,
                public_id=ids.next(),
            )
        )
    Room.objects.bulk_create(rooms)
    return len(rooms)


def _create_staff(
    rng: random.Random, ids: _Ids, clinics: list[Clinic], password_hash: str
) -> tuple[int, int, dict[str, str]]:
    users: list[User] = []
    memberships: list[tuple[User, Clinic, Role]] = []
    logins: dict[str, str] = {}
    for role, (email, full_name, credential) in DEMO_LOGINS.items():
        user = User(
            email=email,
            full_name=full_name,
            credentials=credential,
            password=password_hash,
            public_id=ids.next(),
        )
        users.append(user)
        memberships.append((user, clinics[0], role))
        if role in (Role.CLINIC_ADMIN, Role.PRESCRIBER):
            memberships.append((user, clinics[1], role))
        logins[role.label] = email
    for clinic in clinics:
        for number, (role, credential) in enumerate(STAFF_PER_CLINIC, start=1):
            sex = rng.choice([Sex.FEMALE, Sex.MALE])
            given, family = _given_name(rng, sex), rng.choice(names.FAMILY)
            title = "Dr. " if credential in ("MD", "PhD") else ""
            email = f"{ascii_fold(given)}.{ascii_fold(family)}.{clinic.code.lower()}{number}"
            user = User(
                email=f"{email}@staff.example.org",
                full_name=f"{title}{given} {family}",
                credentials=credential,
                password=password_hash,
                public_id=ids.next(),
            )
            users.append(user)
            memberships.append((user, clinic, role))
    User.objects.bulk_create(users)
    StaffMembership.objects.bulk_create(
        StaffMembership(user=u, clinic=c, role=r, public_id=ids.next()) for u, c, r in memberships
    )
    return len(users), len(memberships), logins


def _new_patient(
    rng: random.Random, ids: _Ids, clinic: Clinic, number: int, today: date
) -> Patient:
    sex = _sex(rng)
    given, family = _given_name(rng, sex), rng.choice(names.FAMILY)
    email = ""
    if rng.random() < 0.6:
        email = f"{ascii_fold(given)}.{ascii_fold(family)}{rng.randint(1, 999)}@example.org"
    patient = Patient(
        clinic=clinic,
        mrn=f"{clinic.code}-{number:06d}",
        given_name=given,
        family_name=family,
        birth_date=_birth_date(rng, today),
        sex=sex,
        phone=_phone(rng),
        email=email,
        public_id=ids.next(),
    )
    patient.refresh_search_fields()  # bulk_create skips save()
    return patient


# (name, dose, relative weight) of medications seen in people referred for ketamine therapy.
MEDICATIONS: list[tuple[str, str, int]] = [
    ("Sertraline", "100 mg daily", 18),
    ("Escitalopram", "20 mg daily", 15),
    ("Bupropion XL", "300 mg daily", 12),
    ("Venlafaxine XR", "150 mg daily", 8),
    ("Duloxetine", "60 mg daily", 6),
    ("Mirtazapine", "15 mg at night", 5),
    ("Aripiprazole", "5 mg daily", 4),
    ("Lithium carbonate", "600 mg daily", 3),
    ("Lorazepam", "0.5 mg as needed", 6),
    ("Clonazepam", "0.5 mg twice daily", 4),
    ("Zolpidem", "5 mg at night", 4),
    ("Lamotrigine", "200 mg daily", 3),
    ("Methylphenidate ER", "36 mg daily", 3),
    ("Lisdexamfetamine", "40 mg daily", 2),
    ("Buprenorphine/naloxone", "8/2 mg daily", 1),
    ("Tramadol", "50 mg as needed", 1),
    ("Phenelzine", "45 mg daily", 1),
    ("Lisinopril", "10 mg daily", 5),
    ("Levothyroxine", "75 mcg daily", 4),
]
ALLERGIES: list[tuple[str, str, str, int]] = [
    ("Penicillin", "hives", "moderate", 50),
    ("Sulfonamides", "rash", "mild", 20),
    ("Latex", "contact dermatitis", "mild", 10),
    ("Codeine", "nausea, vomiting", "mild", 10),
    ("Ketamine", "anaphylaxis", "severe", 1),
]


def _new_history(
    rng: random.Random, ids: _Ids, patient: Patient, recorder: User, today: date
) -> tuple[list[BodyMeasurement], list[Medication], list[Allergy]]:
    """Weights over the last months (height once), current medications, allergies."""
    measurements: list[BodyMeasurement] = []
    if rng.random() < 0.75:
        male = patient.sex == Sex.MALE
        height = Decimal(str(round(rng.gauss(177 if male else 163, 7), 1)))
        weight = rng.gauss(86 if male else 72, 15)
        for number in range(rng.randint(1, 3)):
            weight = min(250.0, max(40.0, weight + rng.gauss(0, 1.5)))
            measurements.append(
                BodyMeasurement(
                    patient=patient,
                    measured_on=today - timedelta(days=30 * (2 - number) + 1),
                    weight_kg=Decimal(str(round(weight, 1))),
                    height_cm=height if number == 0 else None,
                    recorded_by=recorder,
                    public_id=ids.next(),
                )
            )
    medications = [
        Medication(
            patient=patient,
            name=name,
            dose=dose,
            interaction_class=classify(name).value,
            recorded_by=recorder,
            public_id=ids.next(),
        )
        for name, dose, _ in {
            m[0]: m
            for m in rng.choices(
                MEDICATIONS, weights=[w for *_, w in MEDICATIONS], k=rng.choice([0, 1, 1, 2, 2, 3])
            )
        }.values()
    ]
    allergies = []
    if rng.random() < 0.2:
        substance, reaction, severity, _ = rng.choices(
            ALLERGIES, weights=[a[3] for a in ALLERGIES]
        )[0]
        allergies.append(
            Allergy(
                patient=patient,
                substance=substance,
                reaction=reaction,
                severity=severity,
                recorded_by=recorder,
                public_id=ids.next(),
            )
        )
    return measurements, medications, allergies


def _new_diagnoses(rng: random.Random, ids: _Ids, patient: Patient, today: date) -> list[Diagnosis]:
    code, display = _weighted(rng, PRIMARY_DIAGNOSES)
    noted = today - timedelta(days=rng.randint(30, 5 * 365))
    result = [
        Diagnosis(
            patient=patient,
            icd10_code=code,
            display=display,
            is_primary=True,
            noted_on=max(noted, patient.birth_date + timedelta(days=12 * 365)),
            public_id=ids.next(),
        )
    ]
    if rng.random() < 0.4:
        code2, display2 = _weighted(rng, SECONDARY_DIAGNOSES)
        if code2 != code:
            result.append(
                Diagnosis(
                    patient=patient,
                    icd10_code=code2,
                    display=display2,
                    noted_on=noted,
                    public_id=ids.next(),
                )
            )
    return result


def publish_demo_consent_documents(*, today: date) -> int:
    """Version 1 of every consent document in every clinic, published by its admin 400 days
    before ``today`` (audited like any publication), so before every generated consent (the
    stages register patients within the last year). generate_clinic calls this."""
    published_at = datetime.combine(today, time(8), tzinfo=UTC) - timedelta(days=400)
    admins = {
        m.clinic_id: m.user
        for m in StaffMembership.objects.filter(role=Role.CLINIC_ADMIN)
        .select_related("user")
        .order_by("-id")
    }
    count = 0
    for clinic in Clinic.objects.order_by("id"):
        count += len(
            seed_consent_documents(clinic=clinic, published_by=admins[clinic.pk], now=published_at)
        )
    return count
