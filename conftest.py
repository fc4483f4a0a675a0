"""Project-wide pytest fixtures: the synthetic clinic, signed-in clients per role, the browser.

The demo clinic is generated once per session, not once per test. The first test that asks for
``demo`` builds it and commits it; every later test that asks for it runs in a transaction over
it, rolled back afterwards (pytest-django's ``db``), as zulip's suite runs over its template
database. A test that does not ask for ``demo`` still starts from an empty database:

- tests are ordered so that those run before the demo is built, and the transactional tests
  (which empty the database when they end) after every other (``run_order`` below);
- should a test that expects an empty database still meet the demo (another order, a reused
  database), it is wiped for that test: inside the test's transaction, so the demo comes back
  with the rollback, or, in a transactional test, for good, as Django's own flush after each
  transactional test does;
- a test that asks for ``demo`` after a transactional test emptied the database gets it back
  from the copy taken when it was built (tests/snapshots.py), in a fraction of a second.

Tests that need a different demo (another seed or size) ask for no ``demo`` and call
``generate_clinic`` themselves.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, models
from django.db.models import Max
from django.test import Client
from pytest_django import DjangoDbBlocker

from kapclinic.accounts.models import Clinic, Organization, Role, User
from kapclinic.accounts.session_state import LAST_ACTIVITY_KEY, mark_verified
from kapclinic.consent.models import ConsentDocument, ConsentRecord
from kapclinic.demo.generator import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    GenerationResult,
    add_new_patient,
    add_patients,
    generate_clinic,
)
from kapclinic.measurement.models import Assessment
from kapclinic.patients.models import Patient
from kapclinic.referrals.models import Referral
from kapclinic.screening.models import EligibilityDecision, FlagOverride, Screening
from tests.snapshots import DatabaseSnapshot

# Live-server tests run the ORM from Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_TODAY = date(2026, 11, 25)
DEMO_PATIENTS = 60
DEMO_SEED = 11
# A last-activity time (seconds since the epoch) in the year 2255: see force_login below.
NEVER_IDLE = 9_000_000_000


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=run_order)
    _skip_browser_tests_without_chromium(items)


def _transactional(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    marker = item.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & fixtures
        or (marker is not None and marker.kwargs.get("transaction"))
    )


def run_order(item: pytest.Item) -> tuple[bool, bool]:
    """Tests in transactions first, those without ``demo`` before those with it; then the
    transactional tests (browser, concurrency), which empty the database when they end.

    A test that asks for ``demo`` after a transactional one finds it gone and gets it back from
    its snapshot, so the order only saves time, but a great deal: a demo test inside its own
    transaction can only build the demo again (a restore must be committed), and an order that
    put 358 demo tests after the browser tests made every one of them do so (40 minutes a leg).
    This hook runs last, after pytest's own regrouping by parametrized session fixtures (the
    browser tests' ``chromium``); the sort is stable, so that grouping stays inside each part.
    """
    return (_transactional(item), "demo" in getattr(item, "fixturenames", ()))


def _skip_browser_tests_without_chromium(items: list[pytest.Item]) -> None:
    if shutil.which(CHROMIUM) is not None:
        return
    if os.environ.get("CI") == "true":
        msg = f"CI=true but {CHROMIUM} is missing: browser tests must run in CI."
        raise pytest.UsageError(msg)
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def _generate_demo() -> GenerationResult:
    return generate_clinic(patients=DEMO_PATIENTS, seed=DEMO_SEED, today=DEMO_TODAY)


def _holds_data() -> bool:
    """Whether the database holds a demo (or any organisation): its first generated row."""
    return Organization.objects.exists()


def _wipe_database() -> None:
    """Empty every table with Django's flush (kapclinic.audit's, for the audit trail's trigger).
    Inside a test's transaction the rollback brings the rows back; in a transactional test it is
    what Django does after the test anyway."""
    call_command("flush", interactive=False, verbosity=0)


@dataclass(frozen=True)
class SessionDemo:
    result: GenerationResult
    snapshot: DatabaseSnapshot


@pytest.fixture(scope="session")
def _session_demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> SessionDemo:
    """The demo clinic, generated and committed once per session, and copied (module
    docstring)."""
    with django_db_blocker.unblock():
        # Session fixtures are set up before any test's transaction begins; were this one ever
        # inside it, the rollback would take the demo away from every later test.
        assert not connection.in_atomic_block, "the session's demo must be committed"
        if _holds_data():  # a database kept from an earlier run (--reuse-db)
            _wipe_database()
        result = _generate_demo()
        return SessionDemo(result, DatabaseSnapshot.take("demo"))


@pytest.fixture
def _demo_rows(_session_demo: SessionDemo, django_db_blocker: DjangoDbBlocker) -> None:
    """The session's demo back from its copy when a transactional test emptied the database,
    before the test's own transaction begins (``demo`` asks for this before ``db``)."""
    with django_db_blocker.unblock():
        if not connection.in_atomic_block and not _holds_data():
            _session_demo.snapshot.restore()


@pytest.fixture
def demo(_session_demo: SessionDemo, _demo_rows: None, db: None) -> GenerationResult:
    """A small synthetic organisation: 2 clinics, their rooms and staff, 60 patients.

    Built once per session and committed; the test runs in a transaction over it (``db``), so
    whatever the test writes is rolled back. Re-fetch rows from the database: no model instance
    is shared between tests.
    """
    if not _holds_data():  # emptied and not restorable here (inside a transaction): rebuild
        return _generate_demo()
    return copy.deepcopy(_session_demo.result)


@pytest.fixture(autouse=True)
def _empty_database_unless_demo(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that uses the database without ``demo`` starts from an empty one (module
    docstring); in the usual order the session's demo is not built yet and this only checks."""
    uses_database = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if "demo" in request.fixturenames or not uses_database:
        yield
        return
    request.getfixturevalue("db")  # transactional when the test is (pytest-django decides)
    if not _holds_data():
        yield
        return
    _wipe_database()
    yield
    # The flush re-created the content types under new ids; the rollback (or the next flush)
    # changes them again, so nothing may keep the ones cached during this test.
    ContentType.objects.clear_cache()


@pytest.fixture
def add_demo_patients(demo: GenerationResult) -> Callable[[int], None]:
    """``add_demo_patients(n)``: n more generated patients, with history and intake stages
    (referrals, screenings, consent), in the demo's clinics; for query-count tests at size."""
    seeds = iter(range(1000, 2000))

    def add(patients: int) -> None:
        add_patients(patients=patients, seed=next(seeds), today=DEMO_TODAY)

    return add


@pytest.fixture
def new_patient(demo: GenerationResult) -> Callable[..., Patient]:
    """``new_patient(clinic, given_name="", family_name="")``: a newly registered, generated
    patient of ``clinic`` with no history yet (``add_new_patient``); the names replace the
    drawn ones."""
    seeds = iter(range(2000, 3000))

    def make(clinic: Clinic, *, given_name: str = "", family_name: str = "") -> Patient:
        return add_new_patient(
            clinic=clinic,
            seed=next(seeds),
            today=DEMO_TODAY,
            given_name=given_name,
            family_name=family_name,
        )

    return make


_Row = TypeVar("_Row", bound=models.Model)
# Kinds of rows the demo already holds (kapclinic.demo.stages) that tests also write.
GENERATED_KINDS: tuple[type[models.Model], ...] = (
    Referral,
    Screening,
    FlagOverride,
    EligibilityDecision,
    ConsentDocument,
    ConsentRecord,
    Assessment,
)


@pytest.fixture
def written(demo: GenerationResult) -> Callable[[type[_Row]], models.QuerySet[_Row]]:
    """``written(Model)``: the rows of Model written during the test, after the demo was built.

    The demo holds generated referrals, screenings, decisions and consent, so "nothing was
    stored" means "nothing new": ``assert not written(Screening).exists()``.
    """
    last = {
        kind: kind._default_manager.aggregate(last=Max("pk"))["last"] or 0
        for kind in GENERATED_KINDS
    }

    def rows(kind: type[_Row]) -> models.QuerySet[_Row]:
        return kind._default_manager.filter(pk__gt=last[kind])

    return rows


@pytest.fixture
def clinics(demo: GenerationResult) -> list[Clinic]:
    return list(Clinic.objects.order_by("id"))


@pytest.fixture
def demo_user() -> Callable[[Role], User]:
    def get(role: Role) -> User:
        return User.objects.get(email=DEMO_LOGINS[role][0])

    return get


@pytest.fixture(autouse=True)
def _force_login_is_a_full_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Client.force_login`` (tests only) skips every sign-in step, the second one included,
    and gives a session that never idles out.

    Real sessions count as fully signed in only once marked verified (TwoFactorMiddleware);
    force_login marks its session so, like a sign-in that passed 2FA. Its last activity lies in
    the far future, so tests of other rules may travel in time without the staff idle timeout
    signing them out. ``Client.login`` and the login form are untouched: the tests of sign-in,
    2FA and idle timeout use those (or set the session keys themselves).
    """
    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        mark_verified(session, "test")
        session[LAST_ACTIVITY_KEY] = NEVER_IDLE
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _demo_profile_for_page_browser_tests(request: pytest.FixtureRequest) -> None:
    """Browser tests of pages sign in as demo logins, as ``make run`` does: in the demo profile,
    where demo logins skip 2FA (with a banner). tests/browser/test_auth.py turns it off again to
    test the real sign-in; every other test runs without the demo profile."""
    if request.node.get_closest_marker("browser") is None:
        return
    settings = request.getfixturevalue("settings")
    settings.DEMO_MODE = True


@pytest.fixture
def client_for(
    demo: GenerationResult, demo_user: Callable[[Role], User]
) -> Callable[[Role], Client]:
    """A test client signed in (both steps) as the demo user of ``role``."""

    def make(role: Role) -> Client:
        client = Client()
        client.force_login(demo_user(role))
        return client

    return make


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD
