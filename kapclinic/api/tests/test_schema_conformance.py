"""The API answers only what its OpenAPI schema documents.

Schemathesis reads /api/v1/openapi.json from the Django app in-process (WSGI) and sends every
operation generated requests, valid and invalid, signed in as a nurse (a role that may use all
of them) with the session cookie and the CSRF token, against the synthetic clinic. A response
fails the test when its status is not documented for the operation, its body does not match
the documented schema (every error is an ErrorOut), its content type is not the documented
one, it is a 5xx, or it accepts a request the schema says is invalid.

Bounded and repeatable: a fixed number of examples per operation, derandomized (the same
requests on every run), and no example database (nothing is written to .hypothesis/).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Err
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.schemas import BaseSchema

from kapclinic.accounts.models import Clinic, Role
from kapclinic.measurement.models import Assignment
from kapclinic.patients.models import Patient

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

pytestmark = pytest.mark.django_db

# Every operation of the API: a new one is tested as soon as it is in the schema (and listed).
OPERATIONS = [
    "GET /api/v1/appointments",
    "GET /api/v1/appointments/{public_id}",
    "GET /api/v1/courses",
    "GET /api/v1/courses/{public_id}",
    "GET /api/v1/me",
    "GET /api/v1/patients",
    "GET /api/v1/patients/{public_id}",
    "GET /api/v1/patients/{public_id}/questionnaires-due",
    "POST /api/v1/patients/{public_id}/questionnaire-responses",
]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
CONFIG = {
    "generation": {
        "mode": "all",  # valid requests and invalid ones
        "max-examples": 30,  # per operation, in the fuzzing phase
        "deterministic": True,  # derandomized: the same requests every run
        "database": "none",  # no example database: nothing written to .hypothesis/
        "with-security-parameters": False,  # the session is the nurse's (SignedIn)
    },
    "phases": {
        "examples": {"enabled": True},  # the request body's documented example (a 201)
        "coverage": {"enabled": True},  # boundary and invalid values, parameter by parameter
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
}


@dataclass(frozen=True)
class SignedIn:
    """A nurse's session and CSRF token, and the patient ids the requests may name."""

    cookie: str  # the Cookie header: session and CSRF cookies
    csrf_token: str
    home_patient: str  # in the nurse's clinic
    other_patient: str  # in another clinic: answers 404, as a missing one does

    def pick_patient(self, case: Case[Any]) -> None:
        """A generated UUID rarely names a patient: swap some for real ones (by the UUID's
        value, so the same each run), keeping the rest as ids of nobody. Ids that are not UUIDs
        stay as generated."""
        parameters = case.path_parameters or {}
        value = parameters.get("public_id")
        try:
            generated = uuid.UUID(str(value))
        except ValueError:
            return
        choice = generated.int % 3
        if choice:
            parameters["public_id"] = self.home_patient if choice == 1 else self.other_patient

    def app(self, app: WSGIHandler) -> WSGIApplication:
        """``app`` as the nurse's browser reaches it: every request carries the session cookie,
        and the CSRF token (which Django checks on unsafe methods only)."""

        def signed_in(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            environ["HTTP_COOKIE"] = self.cookie
            environ["HTTP_X_CSRFTOKEN"] = self.csrf_token
            return app(environ, start_response)

        return signed_in


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The project's WSGI app, inside the test's transaction.

    Django closes "old" connections as each request starts and ends, which would end the test's
    transaction; the test client turns that off for its requests, and so does this fixture.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def signed_in(client_for: Callable[[Role], Client], clinics: list[Clinic]) -> SignedIn:
    client = client_for(Role.NURSE)
    home = clinics[0]
    # One with questionnaires due, when the demo has one, so the due list is not always empty.
    due = Assignment.objects.filter(patient__clinic=home, status=Assignment.Status.OPEN)
    patient = (
        Patient.objects.filter(pk__in=due.values("patient")).order_by("id").first()
        or Patient.objects.filter(clinic=home).order_by("id").first()
    )
    other = Patient.objects.filter(clinic=clinics[1]).order_by("id").first()
    assert patient is not None
    assert other is not None
    csrf_token = get_random_string(32)  # the CSRF secret itself is an accepted token
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: csrf_token,
    }
    return SignedIn(
        cookie="; ".join(f"{name}={value}" for name, value in cookies.items()),
        csrf_token=csrf_token,
        home_patient=str(patient.public_id),
        other_patient=str(other.public_id),
    )


@pytest.fixture
def api_schema(wsgi_app: WSGIHandler, signed_in: SignedIn) -> BaseSchema:
    return schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", signed_in.app(wsgi_app), config=SchemathesisConfig.from_dict(CONFIG)
    )


@pytest.fixture
def hypothesis_home_outside_the_repository(tmp_path: Path) -> Iterator[None]:
    """Hypothesis caches the constants it finds in our modules under .hypothesis/ in the working
    directory even without an example database; keep that in the test's temporary directory."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    try:
        yield
    finally:
        set_hypothesis_home_dir(None)


@pytest.mark.usefixtures("hypothesis_home_outside_the_repository")
def test_every_operation_answers_only_what_the_schema_documents(
    api_schema: BaseSchema, signed_in: SignedIn
) -> None:
    def call_and_validate(case: Case[Any]) -> None:
        signed_in.pick_patient(case)
        case.call_and_validate()

    # One Hypothesis test per operation, with the phases and settings of CONFIG, as
    # schemathesis's pytest plugin builds them. Its lazy loader (from_fixture), which would let
    # a test take the schema from pytest-django's database fixtures, sets a private attribute
    # pytest 9.2 no longer has; and a test per operation would build the clinic five times.
    # The first operation that fails stops the test; the report shows its request as curl.
    tested = []
    for result in api_schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the schema does not describe this operation validly
        operation = result.ok()
        tested.append(operation.label)
        build_operation_test(
            config=api_schema.config,
            operation=operation,
            test_func=call_and_validate,
            given_kwargs={},
            feedback=FeedbackSources(),
        )()
    assert sorted(tested) == OPERATIONS
