"""Framework-level views: health check and error pages that never echo request data.

Under /api/ the error handlers answer the API's JSON error body (kapclinic.core.api_errors)
instead of a page: a path no operation matches is a JSON 404 like any other.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kapclinic.core.api_errors import NOT_FOUND, error_response, is_api_request


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the load balancer; touches no database (the benchmarks' framework floor)."""
    return HttpResponse("ok", content_type="text/plain")


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if is_api_request(request):
        return error_response(status, message)
    context = {
        "status": status,
        "title": title,
        "message": message,
        "request_id": getattr(request, "request_id", ""),
    }
    return render(request, "error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    user = getattr(request, "user", None)
    staff_without_clinic = (
        user is not None
        and user.is_authenticated
        and not getattr(getattr(request, "actor", None), "roles", None)
    )
    if staff_without_clinic:
        return _error(
            request,
            403,
            "No clinic yet",
            "Your account is not a member of any active clinic, so there is nothing "
            "to show. Ask your clinic admin to add you to a clinic with a role.",
        )
    needed = str(exception) if exception and str(exception) else "this action"
    return _error(
        request, 403, "Not allowed", f"Your role in this clinic does not allow this ({needed})."
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return error_response(404, NOT_FOUND)  # the same body as a record that is not there
    return _error(request, 404, "Not found", "There is nothing here, or you may not see it.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        "Something went wrong",
        "The error was logged. Quote the reference below to your clinic admin.",
    )
