"""Project-wide pytest fixtures: the synthetic clinic, signed-in clients per role, the browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import pytest
from django.db import models
from django.db.models import Max
from django.test import Client

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.session_state import LAST_ACTIVITY_KEY, mark_verified
from kapclinic.consent.models import ConsentDocument, ConsentRecord
from kapclinic.demo.generator import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    GenerationResult,
    add_patients,
    generate_clinic,
)
from kapclinic.measurement.models import Assessment
from kapclinic.referrals.models import Referral
from kapclinic.screening.models import EligibilityDecision, FlagOverride, Screening

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
# A last-activity time (seconds since the epoch) in the year 2255: see force_login below.
NEVER_IDLE = 9_000_000_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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


@pytest.fixture
def demo(db: None) -> GenerationResult:
    """A small synthetic organisation: 2 clinics, their rooms and staff, 60 patients."""
    return generate_clinic(patients=60, seed=11, today=DEMO_TODAY)


@pytest.fixture
def add_demo_patients(demo: GenerationResult) -> Callable[[int], None]:
    """``add_demo_patients(n)``: n more generated patients, with history and intake stages
    (referrals, screenings, consent), in the demo's clinics; for query-count tests at size."""
    seeds = iter(range(1000, 2000))

    def add(patients: int) -> None:
        add_patients(patients=patients, seed=next(seeds), today=DEMO_TODAY)

    return add


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
