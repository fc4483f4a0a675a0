"""The JSON API (OpenAPI schema at /api/v1/openapi.json, docs at /api/v1/docs).

Session authentication with CSRF for unsafe methods; every operation carries ``@requires``
like the HTML views. Every error is one JSON shape, ``ErrorOut``: ``{"detail": "...",
"errors": [{"field": ..., "message": ...}]}`` (kapclinic.core.api_errors, docs/api.md), and each
operation documents the statuses it can answer. A path parameter that is not a UUID is a
record that is not there (404), like a missing one or another clinic's.
"""

# No `from __future__ import annotations` here: django-ninja reads the operations' annotations
# at import time through the @requires wrapper, whose module cannot resolve these names.

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.errors import HttpError, ValidationError
from ninja.security import django_auth

from kapclinic.accounts.models import Clinic, User
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.api.schemas import (
    ClinicOut,
    DiagnosisOut,
    DueQuestionnaireOut,
    DueQuestionnairesOut,
    ErrorOut,
    FieldErrorOut,
    MeOut,
    PatientOut,
    PatientPageOut,
    PatientSummaryOut,
    QuestionnaireResponseIn,
    QuestionnaireResponseOut,
)
from kapclinic.core.api_errors import NOT_FOUND, FieldError, error_body
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.exceptions import (
    AssessmentError,
    MeasurementError,
    UnknownInstrumentError,
)
from kapclinic.measurement.models import Assessment, Mode, Occasion
from kapclinic.measurement.plans.selectors import list_patient_due
from kapclinic.measurement.responses.services import record_response
from kapclinic.patients.access import access_patient
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.models import Diagnosis, Sex
from kapclinic.patients.selectors import (
    audited_page_of_patients,
    list_diagnoses,
)

api = NinjaAPI(
    title="kapclinic API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    # The schema and its docs page are for signed-in users only, like everything else.
    docs_decorator=requires(Capability.MANAGE_OWN_ACCOUNT),
    description="JSON API of kapclinic. Sign in through the web app; the session cookie "
    "authenticates API calls, and unsafe methods need the CSRF token. Every error answers "
    "an ErrorOut body: `detail` says what went wrong, `errors` names the fields at fault.",
)
# The error statuses each kind of operation can answer, all with the one ErrorOut body.
# 401: not signed in (or the session ended); 403: the role may not, or the CSRF check failed;
# 404: no such record in the user's clinics (or not an id at all); 422: a field is invalid
# (``errors`` names it); 400: the body is not JSON.
SIGNED_IN: dict[int, type[ErrorOut]] = {401: ErrorOut}
LISTING: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
RECORD: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE: dict[int, type[ErrorOut]] = {**RECORD, 400: ErrorOut, 422: ErrorOut}


def _error(
    request: HttpRequest, status: int, detail: str, errors: Sequence[FieldError] = ()
) -> HttpResponse:
    return api.create_response(request, error_body(detail, errors), status=status)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    needed = str(exc) or "this action"
    return _error(request, 403, f"Your role in this clinic does not allow this ({needed}).")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, NOT_FOUND)


# django-ninja raises HttpError itself only for these; its own wording is replaced by ours.
_NINJA_HTTP_ERRORS = {
    400: "The request body is not valid JSON.",
    401: "Sign in first.",
    403: "The CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.",
}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, _NINJA_HTTP_ERRORS.get(exc.status_code, str(exc)))


def _field(loc: Sequence[Any]) -> str:
    """django-ninja's error location as the client wrote it: ("body", "payload", "answers",
    "phq9_1") → "answers.phq9_1", ("query", "page") → "page"."""
    where, *rest = loc
    if where == "body":
        rest = rest[1:]  # the view's parameter name means nothing to the client
    return ".".join(str(part) for part in rest) or str(where)


def _message(error: dict[str, Any]) -> str:
    # Pydantic's UUID messages quote the offending characters: say what is expected instead.
    if str(error["type"]).startswith("uuid"):
        return "Input should be a valid UUID."
    return str(error["msg"])


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if any(error["loc"][0] == "path" for error in exc.errors):
        # The path parameters are record ids: one that is not even a UUID names no record,
        # which answers as a missing one does (and says nothing of what exists).
        return _error(request, 404, NOT_FOUND)
    fields = [FieldError(field=_field(e["loc"]), message=_message(e)) for e in exc.errors]
    detail = "Invalid input: " + "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return _error(request, 422, detail, fields)


def _clinic_out(clinic: Clinic) -> ClinicOut:
    return ClinicOut(id=clinic.public_id, name=clinic.name, time_zone=clinic.time_zone)


@api.get("/me", response={200: MeOut, **SIGNED_IN}, tags=["account"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def me(request: ClinicRequest) -> MeOut:
    """The signed-in user, the clinic they work in now, and their roles there."""
    user = request.user
    return MeOut(
        id=user.public_id,
        email=user.email,
        full_name=user.full_name,
        kind=User.Kind(user.kind),
        clinic=_clinic_out(request.clinic) if request.clinic else None,
        roles=sorted(request.actor.roles),
    )


@api.get("/patients", response={200: PatientPageOut, **LISTING}, tags=["patients"])
@requires(Capability.VIEW_PATIENTS)
def list_patients(request: ClinicRequest, page: int = 1) -> PatientPageOut:
    """The current clinic's patients, alphabetical, 25 a page (the listing is audited)."""
    clinic = current_clinic(request)
    result = audited_page_of_patients(
        actor=request.actor,
        clinic=clinic,
        page_number=page,
        action=PatientAuditAction.LISTED_BY_API,
    )
    items = [
        PatientSummaryOut(
            id=p.public_id,
            mrn=p.mrn,
            given_name=p.given_name,
            family_name=p.family_name,
            birth_date=p.birth_date,
        )
        for p in result.object_list
    ]
    return PatientPageOut(
        count=result.paginator.count,
        page=result.number,
        pages=result.paginator.num_pages,
        items=items,
    )


@api.get("/patients/{public_id}", response={200: PatientOut, **RECORD}, tags=["patients"])
@requires(Capability.VIEW_CHART)
def get_patient(request: ClinicRequest, public_id: UUID) -> PatientOut:
    """One patient of a clinic where the user works (404 for any other, as for none)."""
    access = access_patient(request, public_id, action=PatientAuditAction.READ_BY_API)
    p = access.patient
    return PatientOut(
        id=p.public_id,
        mrn=p.mrn,
        given_name=p.given_name,
        family_name=p.family_name,
        birth_date=p.birth_date,
        sex=Sex(p.sex),
        phone=p.phone,
        email=p.email,
        clinic=_clinic_out(p.clinic),
        diagnoses=[
            DiagnosisOut(
                icd10_code=d.icd10_code,
                display=d.display,
                is_primary=d.is_primary,
                status=Diagnosis.Status(d.status),
            )
            for d in list_diagnoses(p)
        ],
        break_glass_until=access.break_glass.expires_at.isoformat() if access.break_glass else None,
    )


DUE_LIMIT = 50


@api.get(
    "/patients/{public_id}/questionnaires-due",
    response={200: DueQuestionnairesOut, **RECORD},
    tags=["measurement"],
)
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def list_questionnaires_due(request: ClinicRequest, public_id: UUID) -> DueQuestionnairesOut:
    """The patient's questionnaires due or overdue now from their measurement plan, overdue
    first (at most 50; ``more`` says when there are others)."""
    access = access_patient(request, public_id, action=MeasurementAuditAction.DUE_READ_BY_API)
    found = list_patient_due(access.patient.pk, timezone.now(), limit=DUE_LIMIT + 1)
    return DueQuestionnairesOut(
        items=[
            DueQuestionnaireOut(
                id=r.assignment.public_id,
                instrument=r.assignment.instrument_code,
                title=r.instrument,
                occasion=Occasion(r.assignment.occasion),
                state=r.state,
                due_at=r.assignment.due_at,
                overdue_at=r.assignment.overdue_at,
                started=r.assignment.assessment is not None
                and r.assignment.assessment.status == Assessment.Status.IN_PROGRESS,
            )
            for r in found[:DUE_LIMIT]
        ],
        more=len(found) > DUE_LIMIT,
    )


@api.post(
    "/patients/{public_id}/questionnaire-responses",
    response={201: QuestionnaireResponseOut, **WRITE},
    tags=["measurement"],
)
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def post_questionnaire_response(
    request: ClinicRequest, public_id: UUID, payload: QuestionnaireResponseIn
) -> Status[QuestionnaireResponseOut | ErrorOut]:
    """Record a complete response given in the clinic (e.g. from a tablet app): scored and
    stored with the instrument version; urgent safety tasks are raised at once. Incomplete or
    invalid answers are refused with the reason (422) and nothing is stored. With
    ``assignment`` (from questionnaires-due) it answers that questionnaire, which leaves the
    worklist."""
    # The write below is audited ("measurement.recorded"); nothing is shown.
    access = access_patient(request, public_id, action=None)
    try:
        done = record_response(
            actor=access.actor,
            patient=access.patient,
            instrument_code=payload.instrument,
            mode=Mode.STAFF,
            occasion=payload.occasion,
            answers=payload.answers,
            now=timezone.now(),
            assignment_id=payload.assignment,
        )
    except MeasurementError as error:
        return Status(422, ErrorOut(detail=error.message, errors=_fields_of(error)))
    a = done.assessment
    return Status(
        201,
        QuestionnaireResponseOut(
            id=a.public_id,
            instrument=a.instrument_code,
            version=a.instrument_version,
            status=Assessment.Status(a.status),
            total=a.total,
            band=a.band,
            category=a.category,
            rule=a.scores["rule"]["id"],
            urgent_alerts=done.urgent_alerts,
        ),
    )


def _fields_of(error: MeasurementError) -> list[FieldErrorOut]:
    """The request fields a refusal is about, where the service says."""
    if isinstance(error, UnknownInstrumentError):
        return [FieldErrorOut(field="instrument", message=error.message)]
    if isinstance(error, AssessmentError):
        return [
            FieldErrorOut(field=f"answers.{item}", message=error.message) for item in error.items
        ]
    return []
