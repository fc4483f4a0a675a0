"""The JSON API (OpenAPI schema at /api/v1/openapi.json, docs at /api/v1/docs).

Session authentication with CSRF for unsafe methods; every operation carries ``@requires``
like the HTML views; errors are JSON bodies with a ``detail`` message and a 4xx status.
"""

# No `from __future__ import annotations` here: django-ninja reads the operations' annotations
# at import time through the @requires wrapper, whose module cannot resolve these names.

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.security import django_auth

from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.api.schemas import (
    ClinicOut,
    DiagnosisOut,
    DueQuestionnaireOut,
    DueQuestionnairesOut,
    ErrorOut,
    MeOut,
    PatientOut,
    PatientPageOut,
    PatientSummaryOut,
    QuestionnaireResponseIn,
    QuestionnaireResponseOut,
)
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.measurement.exceptions import MeasurementError
from kapclinic.measurement.models import Assessment, Mode, Occasion
from kapclinic.measurement.plan_selectors import list_patient_due
from kapclinic.measurement.services import record_response
from kapclinic.patients.selectors import access_patient, list_diagnoses, page_of_patients

api = NinjaAPI(
    title="kapclinic API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    # The schema and its docs page are for signed-in users only, like everything else.
    docs_decorator=requires(Capability.MANAGE_OWN_ACCOUNT),
    description="JSON API of kapclinic. Sign in through the web app; the session cookie "
    "authenticates API calls, and unsafe methods need the CSRF token.",
)
ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, type[ErrorOut]] = {**ERRORS, 422: ErrorOut}


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    needed = str(exc) or "this action"
    return api.create_response(
        request, {"detail": f"Your role in this clinic does not allow this ({needed})."}, status=403
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


def _clinic_out(clinic: Clinic) -> ClinicOut:
    return ClinicOut(id=clinic.public_id, name=clinic.name, time_zone=clinic.time_zone)


@api.get("/me", response={200: MeOut, **ERRORS}, tags=["account"])
@requires(Capability.MANAGE_OWN_ACCOUNT)
def me(request: ClinicRequest) -> MeOut:
    """The signed-in user, the clinic they work in now, and their roles there."""
    user = request.user
    return MeOut(
        id=user.public_id,
        email=user.email,
        full_name=user.full_name,
        kind=user.kind,
        clinic=_clinic_out(request.clinic) if request.clinic else None,
        roles=sorted(request.roles),
    )


@api.get("/patients", response={200: PatientPageOut, **ERRORS}, tags=["patients"])
@requires(Capability.VIEW_PATIENTS)
def list_patients(request: ClinicRequest, page: int = 1) -> PatientPageOut:
    """The current clinic's patients, alphabetical, 25 a page (the listing is audited)."""
    clinic = current_clinic(request)
    result = page_of_patients(clinic, page)
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
    with transaction.atomic():
        audit.record(
            actor=request.user,
            operation=Operation.SEARCH,
            action="patients.listed_by_api",
            actor_roles=request.roles,
            clinic_id=clinic.public_id,
            detail={"page": result.number, "patients": [str(i.id) for i in items]},
        )
    return PatientPageOut(
        count=result.paginator.count,
        page=result.number,
        pages=result.paginator.num_pages,
        items=items,
    )


@api.get("/patients/{public_id}", response={200: PatientOut, **ERRORS}, tags=["patients"])
@requires(Capability.VIEW_CHART)
def get_patient(request: ClinicRequest, public_id: UUID) -> PatientOut:
    """One patient of a clinic where the user works (404 for any other, as for none)."""
    access = access_patient(
        actor=request.user,
        memberships=request.memberships,
        public_id=public_id,
        capability=Capability.VIEW_CHART,
        action="patients.read_by_api",
    )
    p = access.patient
    return PatientOut(
        id=p.public_id,
        mrn=p.mrn,
        given_name=p.given_name,
        family_name=p.family_name,
        birth_date=p.birth_date,
        sex=p.sex,
        phone=p.phone,
        email=p.email,
        clinic=_clinic_out(p.clinic),
        diagnoses=[
            DiagnosisOut(
                icd10_code=d.icd10_code, display=d.display, is_primary=d.is_primary, status=d.status
            )
            for d in list_diagnoses(p)
        ],
        break_glass_until=access.break_glass.expires_at.isoformat() if access.break_glass else None,
    )


DUE_LIMIT = 50


@api.get(
    "/patients/{public_id}/questionnaires-due",
    response={200: DueQuestionnairesOut, **ERRORS},
    tags=["measurement"],
)
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def list_questionnaires_due(request: ClinicRequest, public_id: UUID) -> DueQuestionnairesOut:
    """The patient's questionnaires due or overdue now from their measurement plan, overdue
    first (at most 50; ``more`` says when there are others)."""
    access = access_patient(
        actor=request.user,
        memberships=request.memberships,
        public_id=public_id,
        capability=Capability.ADMINISTER_QUESTIONNAIRES,
        action="measurement.due_read_by_api",
    )
    found = list_patient_due(access.patient.pk, timezone.now(), limit=DUE_LIMIT + 1)
    return DueQuestionnairesOut(
        items=[
            DueQuestionnaireOut(
                id=r.assignment.public_id,
                instrument=r.assignment.instrument_code,
                title=r.instrument,
                occasion=r.assignment.occasion,
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
    response={201: QuestionnaireResponseOut, **WRITE_ERRORS},
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
    access = access_patient(
        actor=request.user,
        memberships=request.memberships,
        public_id=public_id,
        capability=Capability.ADMINISTER_QUESTIONNAIRES,
        action=None,  # the write below is audited ("measurement.recorded"); nothing is shown
    )
    if payload.occasion is not None and payload.occasion not in Occasion.values:
        return Status(422, ErrorOut(detail=f"Unknown occasion {payload.occasion!r}."))
    try:
        done = record_response(
            actor=request.user,
            roles=access.roles,
            patient=access.patient,
            instrument_code=payload.instrument,
            mode=Mode.STAFF,
            occasion=Occasion(payload.occasion) if payload.occasion is not None else None,
            answers=payload.answers,
            now=timezone.now(),
            assignment_id=payload.assignment,
        )
    except MeasurementError as error:
        return Status(422, ErrorOut(detail=error.message))
    a = done.assessment
    return Status(
        201,
        QuestionnaireResponseOut(
            id=a.public_id,
            instrument=a.instrument_code,
            version=a.instrument_version,
            status=a.status,
            total=a.total,
            band=a.band,
            category=a.category,
            rule=a.scores["rule"]["id"],
            urgent_alerts=done.urgent_alerts,
        ),
    )
