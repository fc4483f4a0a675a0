"""Browser test harness: Playwright's Chromium against pytest-django's live server.

- ``base_url`` is the live server, so tests write ``page.goto(reverse("patients:list"))``.
- One browser for the session (pytest-playwright's ``browser``), a fresh context per test.
- ``clinic`` is a small synthetic organisation that the live server can see (built once, then
  put back from its copy before each test: tests/snapshots.py).
- ``signed_in_page`` is a page signed in through the real login form.
- A failing test leaves a screenshot of each open page under test-results/ (path printed in
  the failure report), without any command-line flag.
- A test that navigates to a page without ``assert_accessible(page)`` on it fails.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Generator, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kapclinic.accounts.models import Clinic, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_PASSWORD, GenerationResult, generate_clinic
from tests.browser.a11y import DESKTOP, excuse_visited, track_navigation, unchecked_paths
from tests.snapshots import DatabaseSnapshot

DEMO_ADMIN = "admin@demo.kapclinic.test"
BROWSER_PATIENTS = 30
BROWSER_SEED = 7
BROWSER_TODAY = date(2026, 11, 25)  # the demo's fixed date, as in the root conftest
EXPECT_TIMEOUT_MS = 5_000

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


class OneRequestAtATimeOnSharedConnection(ThreadedWSGIServer):
    """The live server, serving one request at a time where its threads share one connection.

    On SQLite's in-memory test database every live-server thread uses the test's one connection
    (Django's connections_override), so two requests at once (an htmx autosave crossing Finish)
    interleave their transactions on it and corrupt its state ("pop from empty list" in
    Atomic.__exit__, then a later test finds itself inside a stale atomic block). There requests
    take turns; on PostgreSQL each thread has its own connection and they run concurrently, as
    in production."""

    _turn = threading.Lock()

    def set_app(self, application: Any) -> None:
        if not self.connections_override:
            super().set_app(application)
            return
        turn = self._turn

        def one_at_a_time(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with turn:
                result: Iterable[bytes] = application(environ, start_response)
                return result

        super().set_app(one_at_a_time)


LiveServerThread.server_class = OneRequestAtATimeOnSharedConnection


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": DESKTOP.size, "locale": "en-US"}


@pytest.fixture
def page(page: Page, request: pytest.FixtureRequest) -> Generator[Page, None, None]:
    """pytest-playwright's page; after a passing test, fail if the page navigated somewhere that
    was never given to ``assert_accessible`` (so later tests check their pages too)."""
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    track_navigation(page)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.passed:
        return  # the test's own failure is the news; no second complaint
    unchecked = unchecked_paths(page)
    assert not unchecked, (
        f"the test visited {unchecked} but never called assert_accessible(page) there "
        "(every page a browser test visits is checked with axe-core)"
    )


@pytest.fixture(scope="session")
def _clinic_copies() -> dict[str, tuple[GenerationResult, DatabaseSnapshot]]:
    return {}


@pytest.fixture
def clinic(
    transactional_db: None, _clinic_copies: dict[str, tuple[GenerationResult, DatabaseSnapshot]]
) -> GenerationResult:
    """A small synthetic organisation (2 clinics, 30 patients), committed for the live server:
    built by the first browser test, then put back from its copy (tests/snapshots.py)."""
    if "clinic" in _clinic_copies:
        result, snapshot = _clinic_copies["clinic"]
        snapshot.restore()
        return copy.deepcopy(result)
    result = generate_clinic(patients=BROWSER_PATIENTS, seed=BROWSER_SEED, today=BROWSER_TODAY)
    _clinic_copies["clinic"] = (result, DatabaseSnapshot.take("browser"))
    return result


@pytest.fixture
def admin_clinic(clinic: GenerationResult) -> Clinic:
    """The clinic the demo admin lands in after signing in (their first, by name)."""
    return list_active_memberships(User.objects.get(email=DEMO_ADMIN))[0].clinic


@pytest.fixture
def sign_in(page: Page) -> Callable[[str, str], None]:
    """Sign in through the real login form; the caller checks where it landed."""

    def submit(email: str, password: str) -> None:
        page.goto(reverse("accounts:login"))
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return submit


@pytest.fixture
def signed_in_page(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None], base_url: str
) -> Page:
    """A page signed in as the demo clinic admin, showing Today."""
    sign_in(DEMO_ADMIN, DEMO_PASSWORD)
    expect(page).to_have_url(base_url + reverse("today:today"))
    excuse_visited(page)  # test_login checks the login and Today pages themselves
    return page


def _open_pages(item: pytest.Item) -> list[Page]:
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    pages: list[Page] = []
    for value in funcargs.values():
        if isinstance(value, Page):
            candidates = [value]
        elif isinstance(value, BrowserContext):
            candidates = list(value.pages)
        elif isinstance(value, Browser):
            candidates = [p for context in value.contexts for p in context.pages]
        else:
            continue
        pages.extend(
            p for p in candidates if p not in pages and not p.is_closed() and p.url != "about:blank"
        )
    return pages


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failed browser test, screenshot each open page into test-results/<test>/."""
    report = yield
    if report.when not in ("setup", "call") or not report.failed:
        return report
    output = Path(str(item.config.getoption("--output", default="test-results")))
    if not output.is_absolute():
        output = item.config.rootpath / output
    folder = output / re.sub(r"[^\w-]+", "-", item.nodeid).strip("-")
    saved: list[str] = []
    for index, page in enumerate(_open_pages(item), start=1):
        path = folder / f"failure-{report.when}-{index}.png"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=path, full_page=True, timeout=EXPECT_TIMEOUT_MS)
        except Exception as error:  # a screenshot must never hide the failure
            saved.append(f"(no screenshot of {page.url}: {error})")
            continue
        saved.append(f"{path} ({page.url})")
        report.user_properties.append(("screenshot", str(path)))
    if saved:
        report.sections.append(("Browser screenshots", "\n".join(saved)))
    return report
