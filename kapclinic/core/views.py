"""Framework-level views: health check and error pages that never echo request data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the load balancer; touches no database (the benchmarks' framework floor)."""
    return HttpResponse("ok", content_type="text/plain")


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
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
    return _error(request, 403, "Not allowed", "Your role does not allow this action.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "Not found", "There is nothing here, or you may not see it.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        "Something went wrong",
        "The error was logged. Quote the reference below to your clinic admin.",
    )
