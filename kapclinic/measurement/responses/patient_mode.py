"""Tablet patient mode: a staff member hands the clinic's tablet to the patient for one
questionnaire.

While the browser session holds ``SESSION_KEY`` (the response's public id), the questionnaire is
shown without the staff navigation, the record number or any staff link, and every other page of
that session leads back to it (``PatientModeMiddleware``). It is left only with the staff
member's password (``accounts.views.recheck_password``: throttled and audited like a sign-in) or
by signing out (the idle sign-out included), which ends the session and with it the mode.
Entering and leaving are audited here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.audit.models import Operation
from kapclinic.core.api_errors import error_response, is_api_request
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.auditing import record_event
from kapclinic.measurement.models import Assessment

SESSION_KEY: Final = "kapclinic.patient_mode"
# The questionnaire itself, handing back, and signing out (which ends the mode with the session).
LEAVE_VIEW: Final = "measurement:patient-mode-leave"
OPEN_VIEWS: Final = frozenset({LEAVE_VIEW, "accounts:logout"})
QUESTIONNAIRE_VIEW: Final = "measurement:administer"


def active(session: SessionBase) -> str | None:
    """The public id of the response this session is in patient mode for, or None."""
    value = session.get(SESSION_KEY)
    return value if isinstance(value, str) else None


def is_active_for(session: SessionBase, assessment: Assessment) -> bool:
    return active(session) == str(assessment.public_id)


@transaction.atomic
def enter(*, actor: Actor, assessment: Assessment, session: SessionBase) -> None:
    """Hand the tablet to the patient for ``assessment`` (audited)."""
    record_event(
        actor=actor,
        operation=Operation.ACCESS,
        action=MeasurementAuditAction.PATIENT_MODE_ENTERED,
        patient=assessment.patient,
        target=assessment,
    )
    session[SESSION_KEY] = str(assessment.public_id)


@transaction.atomic
def leave(*, actor: Actor, assessment: Assessment, session: SessionBase) -> None:
    """Staff took the tablet back, their password re-entered (audited)."""
    record_event(
        actor=actor,
        operation=Operation.ACCESS,
        action=MeasurementAuditAction.PATIENT_MODE_LEFT,
        patient=assessment.patient,
        target=assessment,
        detail={"status": assessment.status},
    )
    session.pop(SESSION_KEY, None)


class PatientModeMiddleware:
    """In patient mode, every page but the questionnaire, handing back and signing out leads
    back to the questionnaire: a full page by redirect, an htmx request by HX-Redirect, the
    API with 403. After the idle sign-out (IdleTimeoutMiddleware, earlier in the chain) the
    session and the mode are gone, so signing in again is all that is left."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if not request.user.is_authenticated or not hasattr(request, "session"):
            return None
        public_id = active(request.session)
        if public_id is None:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in OPEN_VIEWS:
            return None
        if name == QUESTIONNAIRE_VIEW and str(view_kwargs.get("public_id")) == public_id:
            return None
        if is_api_request(request):
            return error_response(403, "This browser is handed to a patient.")
        url = reverse(QUESTIONNAIRE_VIEW, args=[public_id])
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=200)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
