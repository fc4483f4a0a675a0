from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeAlias
from uuid import UUID

from django.db.models import TextChoices
from ninja import Field, Schema
from pydantic import ConfigDict, WithJsonSchema

from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import PATIENT
from kapclinic.measurement.models import Assessment, Assignment, Occasion
from kapclinic.patients.models import Diagnosis, Sex


def _named(choices: type[TextChoices], name: str) -> WithJsonSchema:
    """The enum's schema under its own name: two models' nested ``Status`` classes would share
    one component (``#/components/schemas/Status``), the last one overwriting the other."""
    return WithJsonSchema({"title": name, "type": "string", "enum": list(choices.values)})


DiagnosisStatus: TypeAlias = Annotated[
    Diagnosis.Status, _named(Diagnosis.Status, "DiagnosisStatus")
]
AssessmentStatus: TypeAlias = Annotated[
    Assessment.Status, _named(Assessment.Status, "AssessmentStatus")
]
AssignmentState: TypeAlias = Annotated[
    Assignment.State, _named(Assignment.State, "AssignmentState")
]
UserKind: TypeAlias = Annotated[User.Kind, _named(User.Kind, "UserKind")]
PatientSex: TypeAlias = Annotated[Sex, _named(Sex, "Sex")]
# A staff role in the current clinic, or "patient" for a portal user.
RoleName: TypeAlias = Annotated[
    str,
    WithJsonSchema({"title": "RoleName", "type": "string", "enum": [*Role.values, PATIENT]}),
]


class FieldErrorOut(Schema):
    field: str  # dotted path in the request: "instrument", "answers.phq9_9", "page"
    message: str


class ErrorOut(Schema):
    """The body of every error the API answers (4xx, and the 500 that should never happen):
    ``detail`` says what went wrong in a sentence, ``errors`` names the fields at fault (empty
    when the request as a whole is refused). Built by kapclinic.core.api_errors."""

    detail: str
    errors: list[FieldErrorOut]


class ClinicOut(Schema):
    id: UUID
    name: str
    time_zone: str


class MeOut(Schema):
    id: UUID
    email: str
    full_name: str
    kind: UserKind
    clinic: ClinicOut | None
    roles: list[RoleName]


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
    status: DiagnosisStatus


class PatientOut(PatientSummaryOut):
    sex: PatientSex
    phone: str
    email: str
    clinic: ClinicOut
    diagnoses: list[DiagnosisOut]
    break_glass_until: str | None


class QuestionnaireResponseIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"instrument": "gad7", "answers": {f"gad7_{n}": 1 for n in range(1, 8)}}]
        }
    )

    # An instrument code, e.g. "phq9" (see docs/measurement.md); an empty one is refused like
    # any other invalid value (422, with the field named).
    instrument: str = Field(min_length=1)
    # Left out: ad hoc, or the assignment's.
    occasion: Occasion | None = None
    answers: dict[str, int]  # {item id: answer value}
    # The id of a questionnaire due for the patient (GET .../questionnaires-due): the response
    # answers it, with its occasion and session, and it leaves the worklist.
    assignment: UUID | None = None


class DueQuestionnaireOut(Schema):
    id: UUID  # send it as "assignment" with the response
    instrument: str
    title: str
    occasion: Occasion
    state: AssignmentState  # due or overdue
    due_at: datetime
    overdue_at: datetime
    started: bool  # a response is in progress (a link was sent, or it was started in the clinic)


class DueQuestionnairesOut(Schema):
    items: list[DueQuestionnaireOut]
    more: bool  # more are due than the list holds: see the worklist


class QuestionnaireResponseOut(Schema):
    id: UUID
    instrument: str
    version: str
    status: AssessmentStatus
    total: int | None
    band: str
    category: str
    rule: str  # the scoring rule id that produced the result
    urgent_alerts: int  # urgent safety tasks raised for the care team
