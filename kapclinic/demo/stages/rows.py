"""What the intake stages make and how they write it (kapclinic.demo.stages): the counts, one
patient's history, a batch of rows, the clinics' staff and documents, bulk column updates."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields

from django.db import connection
from django.db.models import Field, Model

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.consent.models import ConsentDocument, ConsentRecord
from kapclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    Medication,
    Patient,
)
from kapclinic.referrals.models import Referral
from kapclinic.screening.models import EligibilityDecision, FlagOverride, Screening


@dataclass
class StageCounts:
    referrals_open: int = 0
    referrals_registered: int = 0
    not_screened: int = 0
    screenings: int = 0
    eligible: int = 0
    eligible_with_precautions: int = 0
    not_eligible: int = 0
    awaiting_review: int = 0  # needs a prescriber's review, incomplete, or not yet signed
    flag_overrides: int = 0
    decisions: int = 0
    consents_valid: int = 0
    consents_awaiting_countersignature: int = 0
    consents_withdrawn: int = 0
    safety_tasks: int = 0  # raised by the screenings' answers (screening_safety)

    def summary(self) -> str:
        return ", ".join(
            f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self)
        )


@dataclass
class PatientHistory:
    """What the generator made for one patient, so the stages need not read it back."""

    patient: Patient
    diagnoses: list[Diagnosis]
    measurements: list[BodyMeasurement]
    medications: list[Medication]
    allergies: list[Allergy]


@dataclass
class Batch:
    patients: list[Patient]
    referrals: list[Referral]
    screenings: list[Screening]
    overrides: list[tuple[Screening, FlagOverride]]
    decisions: list[tuple[Screening, EligibilityDecision]]
    consents: list[ConsentRecord]


def new_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class Staff:
    def __init__(self, clinics: Sequence[Clinic]) -> None:
        self.by_role: dict[tuple[int, str], list[User]] = {}
        for m in (
            StaffMembership.objects.filter(clinic__in=clinics, is_active=True)
            .select_related("user")
            .order_by("id")
        ):
            self.by_role.setdefault((m.clinic_id, m.role), []).append(m.user)

    def pick(self, rng: random.Random, clinic_id: int, *roles: Role) -> User:
        return rng.choice([u for r in roles for u in self.by_role.get((clinic_id, r), [])])


def set_columns(model: type[Model], names: list[str], rows: Sequence[Model]) -> None:
    """UPDATE ``names`` of ``rows`` by primary key, one prepared statement for all of them.

    bulk_update builds a CASE expression per field and batch, which costs more than the rest
    of the stages together at 100,000 patients; values are prepared as the ORM prepares them.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in names]
    concrete = [f for f in columns if isinstance(f, Field)]
    if len(concrete) != len(columns) or meta.pk is None:
        msg = f"{names} are not all concrete fields of {meta.label}"
        raise TypeError(msg)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in concrete)
    pk_column = quote(str(meta.pk.column))
    # Table and column names come from the model's own metadata, never from input.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in concrete] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def clinic_documents(clinics: Sequence[Clinic]) -> dict[int, dict[str, ConsentDocument]]:
    """The current consent document of each treatment type, per clinic."""
    documents: dict[int, dict[str, ConsentDocument]] = {c.pk: {} for c in clinics}
    for document in ConsentDocument.objects.filter(clinic__in=clinics).order_by("version"):
        documents[document.clinic_id][document.treatment_type] = document
    return documents
