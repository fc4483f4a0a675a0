"""The walk of issue 11 ("done when"): each demo role signs in and visits every page its
navigation leads to, and each page passes ``assert_accessible`` at phone, tablet and desktop
size (no axe-core finding of any impact, no sideways scroll, tables with actions fit a tablet),
answers below 400, loads every asset, and logs no console error.

From the page a role lands on, the walk follows the main navigation, each page's
sub-navigation (every ``nav`` but the main one and the pagers) and the links in each page's
content: one page of each kind (one chart, one screening review, one consent, one questionnaire,
one safety task, one referral, one plan, the outcome graph, the portal's pages), because a
page's kind is its path with the ids taken out. So a new page is walked as soon as a link leads
to it, and ``EXPECTED`` lists the kinds each role must reach, so that the walk cannot quietly
shrink. One signed-in page per role; no page is checked twice, and a page whose content another
role's walk already checked (only the navigation differs) is not checked again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Error, Page, Response, expect

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.demo.generator import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_PATIENT_LOGIN,
    GenerationResult,
)
from kapclinic.demo.plans import enrol_portal_patient
from kapclinic.measurement.models import Mode
from kapclinic.measurement.responses.services import record_response
from kapclinic.patients.models import Patient
from tests.browser.a11y import assert_accessible, checked_paths, excuse_visited, path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The walk checks what the browser gets, which does not depend on the database: it runs in the
# SQLite leg of the suite only (some 5 minutes). Every route answers every role on both
# databases in tests/architecture/test_permission_matrix.py.
only_once = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the walk runs in the SQLite leg of the suite"
)

PATIENT = "patient"
ANONYMOUS = "anonymous"
LOGINS: dict[str, str] = {role.value: login[0] for role, login in DEMO_LOGINS.items()}
LOGINS[PATIENT] = DEMO_PATIENT_LOGIN

_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A day in a query ("?day=2026-12-07"): one calendar page of a kind is enough, or the walk
# would follow a calendar from day to day without end.
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Pages of one kind that differ by a treatment in the path, not an id: one of each is enough.
_TREATMENT = re.compile(r"^(/consent/patients/<id>/sign|/portal/consent)/[a-z_]+/$")
# Links the walk does not follow: downloads, the operator's admin site, the API, and pages
# that only pass through (a patient-mode hand-back, a one-time questionnaire link).
_NOT_WALKED = re.compile(r"^/(admin|api)/|\.csv$|/patient-mode/|^/q/")
# The page's content, without the session's CSRF tokens: the same for two roles whose pages
# differ only in their navigation.
_CONTENT_SCRIPT = """() => {
  const main = document.querySelector('main').cloneNode(true);
  main.querySelectorAll('[name="csrfmiddlewaretoken"]').forEach((i) => i.removeAttribute('value'));
  return main.innerHTML;
}"""
# (kind, content) of the pages checked by the walks so far, of any role: a page another role's
# walk checked with the same content is not checked again (only the navigation differs, and each
# role's navigation is checked on its own pages). A walk run alone checks every page it visits.
_CHECKED_CONTENT: set[tuple[str, str]] = set()
# Links on the page that the walk follows: navigation other than the pagers, and content.
# Relative links ("?all=1") are resolved; links to other sites, mailto: and tel: are left out.
_LINKS_SCRIPT = """() => [...document.querySelectorAll('nav a[href], main a[href]')]
  .filter((a) => !a.closest('nav.pager') && a.origin === location.origin)
  .map((a) => a.pathname + a.search)"""

TODAY = "/today/"
CHART = "/patients/<id>/"
# The kinds of page each role must reach (the walk reaches more): the main navigation and one
# page of each kind of list the role works with.
_STAFF_COMMON = {TODAY, "/accounts/security/", "/accounts/security/password/"}
_CLINICAL = {
    "/patients/",
    CHART,
    "/patients/new/",
    "/referrals/",
    "/referrals/<id>/",
    "/measurement/safety/",
    "/measurement/safety/<id>/",
}
# Clinic → Protocols (issue 13.1): every role that books, gives or supports treatment.
_PROTOCOLS = {"/clinic/protocols/", "/clinic/protocols/<id>/"}
# The course planner, from a chart (issue 13.3): the front desk and prescribers.
PLANNER = "/planner/patients/<id>/"
# The calendars (issue 13.4): every role that books, gives or supports treatment, an
# appointment's page, and the waitlist for those who book.
_CALENDAR = {"/clinic/calendar/", "/clinic/calendar/mine/", "/clinic/calendar/appointments/<id>/"}
_WAITLIST = {"/clinic/calendar/waitlist/"}
# The controlled-substance ledger (issue 14): those who handle the drug and the clinic admin.
_LEDGER = {
    "/ledger/",
    "/ledger/accounts/<id>/",
    "/ledger/counts/",
    "/ledger/counts/discrepancies/",
    "/ledger/counts/expiry/",
}
# The day's dosing sessions (issue 15): the nurses and prescribers who run them.
_DOSING = {"/dosing/"}
# The monitoring console (issue 15.6): those who watch the chairs, and the clinic admin.
_CONSOLE = {"/dosing/console/"}
_LEDGER_REPORTS = {"/ledger/reports/", "/ledger/counts/tasks/", "/ledger/setup/"}
# The REMS Patient Monitoring Forms due (issue 15.8): the prescriber and the clinic admin.
_REMS_FORMS = {"/dosing/rems-forms/"}
_OUTCOMES = {
    "/measurement/worklist/",
    "/outcomes/",
    "/measurement/patients/<id>/outcomes/",
    "/measurement/patients/<id>/",
    "/measurement/responses/<id>/",
    "/consent/patients/<id>/",
}
EXPECTED: dict[str, set[str]] = {
    Role.CLINIC_ADMIN.value: _STAFF_COMMON
    | _CLINICAL
    | {
        "/measurement/worklist/",
        "/outcomes/",
        "/measurement/patients/<id>/outcomes/",
        "/audit/",
        "/clinic/staff/",
        "/clinic/staff/grant/",
        "/clinic/rooms/",
        "/clinic/rooms/<id>/",
        "/clinic/hours/",
        "/clinic/settings/",
        "/screening/policy/",
        "/consent/documents/",
        "/aggregates/",
        "/clinic/protocols/<id>/publish/",
        "/clinic/protocols/<id>/retire/",
        "/clinic/playlists/",
        "/clinic/playlists/new/",
        "/clinic/playlists/<id>/",
    }
    | _PROTOCOLS
    | _LEDGER
    | _LEDGER_REPORTS
    | _REMS_FORMS
    | _CONSOLE,
    Role.PRESCRIBER.value: _STAFF_COMMON
    | _CLINICAL
    | _OUTCOMES
    | {
        "/screening/<id>/",
        "/screening/patients/<id>/",
        "/consent/patients/<id>/sign/<kind>/",
        "/measurement/patients/<id>/enrol/",
        "/measurement/assignments/<id>/cancel/",
        "/patients/emergency-access/",
        PLANNER,
    }
    | _PROTOCOLS
    | _CALENDAR
    | _WAITLIST
    | _LEDGER
    | _LEDGER_REPORTS
    | _REMS_FORMS
    | _DOSING
    | _CONSOLE,
    Role.NURSE.value: _STAFF_COMMON
    | _CLINICAL
    | _OUTCOMES
    | {"/consent/patients/<id>/sign/<kind>/", "/measurement/assignments/<id>/cancel/"}
    | _PROTOCOLS
    | _CALENDAR
    | _WAITLIST
    | _LEDGER
    | _DOSING
    | _CONSOLE,
    Role.THERAPIST.value: _STAFF_COMMON
    | _OUTCOMES
    | _PROTOCOLS
    | _CALENDAR
    | _WAITLIST
    | {"/patients/", CHART},
    Role.FRONT_DESK.value: _STAFF_COMMON
    | _PROTOCOLS
    | _CALENDAR
    | _WAITLIST
    | {"/patients/", CHART, "/patients/new/", "/referrals/", "/referrals/<id>/", PLANNER},
    Role.RESEARCHER.value: _STAFF_COMMON | {"/aggregates/"},
    PATIENT: {"/portal/", "/portal/questionnaires/<id>/", "/accounts/security/"},
    ANONYMOUS: {"/accounts/login/", "/refer/", "/accounts/link/"},
}


def kind_of(path: str) -> str:
    """A page's kind: its path with ids, days (and the treatment in a consent path) taken
    out."""
    return _TREATMENT.sub(r"\1/<kind>/", _DAY.sub("<day>", _ID.sub("<id>", path)))


class Walk:
    """One role's walk on one page: what it checked, and what went wrong on the way."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.kinds: dict[str, str] = {}  # kind -> the first path of that kind, as checked
        self.problems: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error on {path_of(self.page.url)}: {message.text}")

    def _on_page_error(self, error: Error) -> None:
        self.problems.append(f"script error on {path_of(self.page.url)}: {error.message}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(
                f"{response.status} for {path_of(response.url)} (on {path_of(self.page.url)})"
            )

    def check_here(self) -> None:
        """Check the page as it is, unless a page of its kind was checked already (by this
        walk, or with the same content by another role's)."""
        path = path_of(self.page.url)
        kind = kind_of(path)
        if kind in self.kinds:
            return
        self.kinds[kind] = path
        content = (kind, hashlib.sha256(self.page.evaluate(_CONTENT_SCRIPT).encode()).hexdigest())
        if content in _CHECKED_CONTENT:
            checked_paths(self.page).add(path)
            return
        assert_accessible(self.page)
        _CHECKED_CONTENT.add(content)

    def links(self) -> list[str]:
        """The same-site paths the page links to, in page order, that the walk may follow."""
        paths: list[str] = self.page.evaluate(_LINKS_SCRIPT)
        return [path for path in paths if not _NOT_WALKED.search(urlsplit(path).path)]

    def walk(self, start: str) -> None:
        """Visit ``start`` and every page it leads to, one page of each kind."""
        queue = [start]
        queued = {kind_of(start)}
        while queue:
            path = queue.pop(0)
            response = self.page.goto(path)
            assert response is not None, path
            if kind_of(path_of(self.page.url)) in self.kinds:
                continue  # a redirect to a page already checked ("/" → Today)
            self.check_here()
            for link in self.links():
                if kind_of(link) not in queued and kind_of(link) not in self.kinds:
                    queued.add(kind_of(link))
                    queue.append(link)


def _sign_in(page: Page, sign_in: Callable[[str, str], None], who: str) -> None:
    sign_in(LOGINS[who], DEMO_PASSWORD)
    landing = reverse("portal:home") if who == PATIENT else reverse("today:today")
    expect(page).to_have_url(re.compile(re.escape(landing) + "$"))
    excuse_visited(page)  # test_login checks the login page; the walk checks the landing page


@only_once
@pytest.mark.parametrize("who", [*LOGINS, ANONYMOUS])
def test_every_page_a_role_reaches_is_accessible_at_three_sizes(
    who: str,
    page: Page,
    clinic: GenerationResult,
    sign_in: Callable[[str, str], None],
) -> None:
    # Questionnaires due today, from a plan: rows with actions on the worklist and the chart,
    # and the portal patient's due list.
    patient = Patient.objects.select_related("clinic").get(portal_user__email=DEMO_PATIENT_LOGIN)
    assert enrol_portal_patient(email=DEMO_PATIENT_LOGIN, today=patient.clinic.local_today())
    # A PHQ-9 with item 9 above "not at all" (R-OUT-1): an open urgent safety task, so the
    # safety list has a row and the clinicians' pages carry the safety banner.
    nurse = User.objects.get(email=DEMO_LOGINS[Role.NURSE][0])
    recorded = record_response(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        instrument_code="phq9",
        mode=Mode.STAFF,
        occasion=None,
        answers={f"phq9_{n}": 1 for n in range(1, 10)},
        now=timezone.now(),
    )
    assert recorded.urgent_alerts == 1
    walk = Walk(page)

    if who == ANONYMOUS:
        for start in (reverse("accounts:login"), reverse("self-check")):
            walk.walk(start)
    else:
        _sign_in(page, sign_in, who)
        walk.walk(path_of(page.url))

    missing = sorted(EXPECTED[who] - set(walk.kinds))
    assert not missing, f"the walk of {who} never reached {missing}; it checked {walk.kinds}"
    assert not walk.problems, "\n".join(walk.problems)


def test_the_walk_counts_pages_by_kind() -> None:
    assert kind_of("/patients/0b0e8a52-3f7e-4c55-9a5e-6f1f3b7d2a10/") == CHART
    assert kind_of("/consent/patients/0b0e8a52-3f7e-4c55-9a5e-6f1f3b7d2a10/sign/talk_therapy/") == (
        "/consent/patients/<id>/sign/<kind>/"
    )
    assert kind_of("/portal/consent/talk_therapy/") == "/portal/consent/<kind>/"
    assert kind_of("/referrals/?all=1") == "/referrals/?all=1"
