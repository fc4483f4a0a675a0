"""The synthetic clinic: a realistic organisation, deterministic for a seed and a date.

It is the data of the demo (``make run``), of the tests and of the benchmarks. Every value is
invented; name parts are combined at random, phone numbers use the unassigned 555 area code and
e-mail addresses the reserved example.org domain, so no record describes a real person.
``generate_clinic`` (``clinic``) builds the organisation, its clinics, rooms, staff and consent
documents (``organisation``) and its patients with their history (``patients``, from the
person details of ``people``). Intake (referrals, screenings, eligibility decisions, consent)
comes from ``kapclinic.demo.stages``, score histories from ``kapclinic.demo.trajectories`` and
measurement plans from ``kapclinic.demo.plans``, staff rotas, courses on the clinics'
calendars and the waitlist from ``kapclinic.demo.courses``, controlled-substance stock
histories from ``kapclinic.demo.ledger``, playlists and a partly prepared dosing session from
``kapclinic.demo.preparation``; later issues hook their data in here.
"""

from __future__ import annotations

from kapclinic.demo.generator.clinic import (
    GenerationResult,
    add_new_patient,
    add_patients,
    generate_clinic,
)
from kapclinic.demo.generator.organisation import (
    CLINIC_SITES,
    DEMO_DOMAIN,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_PATIENT_LOGIN,
    STAFF_PER_CLINIC,
    clinic_count_for,
    publish_demo_consent_documents,
)
from kapclinic.demo.generator.patients import (
    ALLERGIES,
    MEDICATIONS,
    PRIMARY_DIAGNOSES,
    SECONDARY_DIAGNOSES,
)
from kapclinic.demo.names import ascii_fold

__all__ = [
    "ALLERGIES",
    "CLINIC_SITES",
    "DEMO_DOMAIN",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DEMO_PATIENT_LOGIN",
    "MEDICATIONS",
    "PRIMARY_DIAGNOSES",
    "SECONDARY_DIAGNOSES",
    "STAFF_PER_CLINIC",
    "GenerationResult",
    "add_new_patient",
    "add_patients",
    "ascii_fold",
    "clinic_count_for",
    "generate_clinic",
    "publish_demo_consent_documents",
]
