"""The JSON API's one error body, whichever layer answers.

Every error under /api/ is ``{"detail": "<a sentence>", "errors": [{"field": ..., "message":
...}]}``: ``detail`` says what went wrong, ``errors`` names the fields at fault (empty when the
request as a whole is refused). The middleware (401), Django's error handlers (a URL no
operation matches, a 500) and the API's own handlers (kapclinic/api/api.py) all build it here;
the OpenAPI schema documents it as ``ErrorOut`` (kapclinic/api/schemas.py). Messages never quote
the patient record, so no PHI leaves through an error (docs/api.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from django.http import HttpRequest, JsonResponse

API_PATH_PREFIX = "/api/"
# One answer for "missing", "not in your clinic" and "not an id at all" alike.
NOT_FOUND = "Not found."


class FieldError(TypedDict):
    field: str  # dotted path in the request, e.g. "instrument", "answers.phq9_9", "page"
    message: str


class ErrorBody(TypedDict):
    detail: str
    errors: list[FieldError]


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def error_body(detail: str, errors: Sequence[FieldError] = ()) -> ErrorBody:
    return {"detail": detail, "errors": list(errors)}


def error_response(status: int, detail: str, errors: Sequence[FieldError] = ()) -> JsonResponse:
    return JsonResponse(error_body(detail, errors), status=status)
