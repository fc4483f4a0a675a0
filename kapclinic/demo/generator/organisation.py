"""The synthetic clinic's organisation (kapclinic.demo.generator): its clinics with opening
hours, rooms, staff of every role with the demo logins, the portal's demo patient login and the
published consent documents."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta

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
from kapclinic.demo.generator.people import Ids, random_given_name, random_phone
from kapclinic.demo.names import ascii_fold
from kapclinic.patients.models import Patient, Sex
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


def clinic_count_for(patients: int) -> int:
    """Two clinics for a demo; about one clinic per 5,000 patients beyond that (max 8)."""
    return max(2, min(len(CLINIC_SITES), math.ceil(patients / 5000)))


def create_demo_portal_login(
    ids: Ids, clinic: Clinic, password_hash: str, preferred: int | None
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


def create_clinics(rng: random.Random, ids: Ids, org: Organization, count: int) -> list[Clinic]:
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
            phone=random_phone(rng),
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


def create_rooms(rng: random.Random, ids: Ids, clinics: list[Clinic]) -> int:
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


def create_staff(
    rng: random.Random, ids: Ids, clinics: list[Clinic], password_hash: str
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
            given, family = random_given_name(rng, sex), rng.choice(names.FAMILY)
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
