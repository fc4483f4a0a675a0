from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone

from kapclinic.accounts import services
from kapclinic.accounts.actor import Actor
from kapclinic.accounts.credentials import DEFAULT_IDLE_MINUTES
from kapclinic.accounts.models import Clinic, StaffMembership, User
from kapclinic.accounts.selectors import has_two_factor, list_active_memberships
from kapclinic.accounts.session_state import LAST_ACTIVITY_KEY, is_verified
from kapclinic.core.api_errors import error_response, is_api_request

SESSION_CLINIC_KEY = "kapclinic.clinic"


def choose_clinic(memberships: list[StaffMembership], wanted: str | None) -> Clinic | None:
    """The clinic named in the session if the user still works there, else their first one."""
    for membership in memberships:
        if str(membership.clinic.public_id) == wanted:
            return membership.clinic
    return memberships[0].clinic if memberships else None


class ClinicMiddleware:
    """Attach the signed-in user's current clinic and the ``Actor`` (user, roles in that
    clinic, all active memberships; no further query), and work in the clinic's time zone. A portal
    user's only role is "patient"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.clinic = None  # type: ignore[attr-defined]
        request.actor = None  # type: ignore[attr-defined]
        user = request.user
        if isinstance(user, User) and user.is_patient:
            request.actor = Actor.from_memberships(user, (), None)  # type: ignore[attr-defined]
        elif isinstance(user, User):
            memberships = list_active_memberships(user)
            clinic = choose_clinic(memberships, request.session.get(SESSION_CLINIC_KEY))
            request.clinic = clinic  # type: ignore[attr-defined]
            if clinic is not None:
                timezone.activate(clinic.tzinfo)
            request.actor = Actor.from_memberships(  # type: ignore[attr-defined]
                user, memberships, clinic
            )
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# Activity is written to the session at most this often (one session write per request would
# cost every page a database write); a sign-out may thus come up to this much early.
ACTIVITY_RESOLUTION_SECONDS = 30
# Views a signed-in user may reach before passing the second sign-in step.
SECOND_STEP_VIEWS = frozenset(
    {"accounts:two-factor", "accounts:two-factor-enrol", "accounts:logout"}
)


def _leave(request: HttpRequest, url: str, api_detail: str) -> HttpResponse:
    """Send the browser to ``url``: a 401 JSON body for the API, HX-Redirect for htmx."""
    if is_api_request(request):
        return error_response(401, api_detail)
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class IdleTimeoutMiddleware:
    """Sign staff out after the current clinic's idle limit (HIPAA automatic logoff,
    45 CFR 164.312(a)(2)(iii)); the login page then says why."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated and not user.is_patient:
            clinic: Clinic | None = getattr(request, "clinic", None)
            minutes = clinic.idle_timeout_minutes if clinic else DEFAULT_IDLE_MINUTES
            now = timezone.now().timestamp()
            last = request.session.get(LAST_ACTIVITY_KEY)
            if isinstance(last, int | float) and now - last > minutes * 60:
                actor = getattr(request, "actor", None) or Actor(user=user)
                services.record_idle_timeout(actor=actor, minutes=minutes)
                logout(request)
                unit = "minute" if minutes == 1 else "minutes"
                notice = f"You were signed out after {minutes} {unit} without activity."
                messages.info(request, notice)
                target = resolve_url(settings.LOGIN_URL)
                if request.method == "GET" and not is_api_request(request):
                    target = f"{target}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
                return _leave(request, target, notice + " Sign in again.")
            if not isinstance(last, int | float) or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = int(now)
        return self.get_response(request)


class TwoFactorMiddleware:
    """Hold a signed-in session to the second sign-in step until it is passed.

    Until the session is marked verified (session_state), every view except the second step
    itself, sign-out and public pages redirects there: to the code page when the user has an
    authenticator, else to enrolment. Also sends the Django admin's own login form to ours,
    so that there is one way in, with its throttling and second step.
    """

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
        match = request.resolver_match
        name = match.view_name if match else ""
        user = request.user
        if name == "admin:login" and (request.method != "GET" or not user.is_authenticated):
            login_url = resolve_url(settings.LOGIN_URL)
            wanted = request.GET.get(REDIRECT_FIELD_NAME) or resolve_url("admin:index")
            return HttpResponseRedirect(f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: wanted})}")
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if is_verified(request.session, user.email):
            return None
        if name in SECOND_STEP_VIEWS or getattr(view_func, "login_required", True) is False:
            return None
        step = "accounts:two-factor" if has_two_factor(user) else "accounts:two-factor-enrol"
        return _leave(
            request, resolve_url(step), "Finish signing in: two-factor authentication is needed."
        )
