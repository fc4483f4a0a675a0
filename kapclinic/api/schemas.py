from __future__ import annotations

from datetime import date
from uuid import UUID

from ninja import Schema


class ErrorOut(Schema):
    detail: str


class ClinicOut(Schema):
    id: UUID
    name: str
    time_zone: str


class MeOut(Schema):
    id: UUID
    email: str
    full_name: str
    kind: str
    clinic: ClinicOut | None
    roles: list[str]


class PatientSummaryOut(Schema):
    id: UUID
    mrn: str
    given_name: str
    family_name: str
    birth_date: date


class PatientPageOut(Schema):
    count: int
    page: int
    pages: int
    items: list[PatientSummaryOut]


class DiagnosisOut(Schema):
    icd10_code: str
    display: str
    is_primary: bool
    status: str


class PatientOut(PatientSummaryOut):
    sex: str
    phone: str
    email: str
    clinic: ClinicOut
    diagnoses: list[DiagnosisOut]
    break_glass_until: str | None
