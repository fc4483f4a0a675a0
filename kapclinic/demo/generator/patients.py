"""The synthetic clinic's patients and their history (kapclinic.demo.generator): details,
diagnoses coded in ICD-10-CM, weights, medications and allergies."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from kapclinic.accounts.models import Clinic, User
from kapclinic.demo import names
from kapclinic.demo.generator.people import (
    Ids,
    random_birth_date,
    random_given_name,
    random_phone,
    random_sex,
)
from kapclinic.demo.names import ascii_fold
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


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> tuple[str, str]:
    """A code drawn by weight, with its title from the code list."""
    code, _ = rng.choices(table, weights=[w for _, w in table])[0]
    listed = icd10.billable(code)
    return listed.code, listed.description


def new_patient(rng: random.Random, ids: Ids, clinic: Clinic, number: int, today: date) -> Patient:
    sex = random_sex(rng)
    given, family = random_given_name(rng, sex), rng.choice(names.FAMILY)
    email = ""
    if rng.random() < 0.6:
        email = f"{ascii_fold(given)}.{ascii_fold(family)}{rng.randint(1, 999)}@example.org"
    patient = Patient(
        clinic=clinic,
        mrn=f"{clinic.code}-{number:06d}",
        given_name=given,
        family_name=family,
        birth_date=random_birth_date(rng, today),
        sex=sex,
        phone=random_phone(rng),
        email=email,
        public_id=ids.next(),
    )
    _give_address(patient, clinic)
    patient.refresh_search_fields()  # bulk_create skips save()
    return patient


STREETS: list[str] = [
    "Oak St",
    "Maple Ave",
    "Cedar Ln",
    "Park Rd",
    "Lake Dr",
    "Hill St",
    "Elm Ct",
    "River Rd",
    "Sunset Blvd",
    "Mill St",
    "Church St",
    "Spring St",
    "Walnut Ave",
    "Forest Dr",
    "Union St",
]


def _give_address(patient: Patient, clinic: Clinic) -> None:
    """A home address near the clinic (the ledger's administrations and dispensings name it,
    R-CS-2). Drawn from the patient's own id, not the generator's stream: adding it changed no
    other value a seed gives."""
    rng = random.Random(patient.public_id.int)
    patient.address_line = f"{rng.randint(1, 9899)} {rng.choice(STREETS)}"
    patient.city, patient.region, patient.postal_code = (
        clinic.city,
        clinic.region,
        clinic.postal_code,
    )


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


def new_history(
    rng: random.Random, ids: Ids, patient: Patient, recorder: User, today: date
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


def new_diagnoses(rng: random.Random, ids: Ids, patient: Patient, today: date) -> list[Diagnosis]:
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
