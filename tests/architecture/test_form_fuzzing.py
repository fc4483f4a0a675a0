"""Form fuzzing: no bad value in any field of any form, or in any query parameter, is a 5xx.

test_bad_input.py throws a fixed garbage list at every route; this test finds the fields
instead. For every route (the route x role list of test_permission_matrix.py, plus the public
pages) it opens the page as a role allowed to use it, reads its ``<form>``s with the standard
library's HTML parser (method, action, the names and default values of inputs, selects and
textareas, submit buttons), and sends each form again with ONE field replaced by each bad value
while every other field keeps the page's value, so that validation gets past the first error
and reaches the deep code (an SpO2 of 101 with every other vital filled in). GET forms' fields
and the query parameters of the route list are fuzzed the same way. Forms shared by many pages
(the clinic switcher in the header) are sent once.

The public pages are fuzzed signed out and signed in (the login page behaves differently for a
signed-in user), with a real account's address and password as the defaults of the sign-in
form, so that a right password followed by a bad ``next`` is reached too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import cycle
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.middleware import SESSION_CLINIC_KEY
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.permissions import ALL_ROLES, allows
from kapclinic.core.reasons import reason_problem
from kapclinic.demo.generator import DEMO_PASSWORD, GenerationResult
from kapclinic.measurement.models import Assessment, Assignment, Mode
from kapclinic.measurement.responses.services import issue_link, start_assessment
from kapclinic.patients.models import BreakGlassGrant, Diagnosis, Patient
from kapclinic.referrals.models import Referral
from kapclinic.screening.models import MIN_ENTERED_IN_ERROR_REASON_CHARS, Screening
from tests.architecture.routing import World
from tests.architecture.test_permission_matrix import _client_for_role, _routes

# The bad values, by class. Every field gets every class (one member each, taken in turn across
# fields, so that every member is used), and the whole class that matches the field's kind.
NUMBERS = ["-1", "0", "49", "101", "99999999999999999999", "1e309", "-0.5"]
TEXT = ["abc", "NaN", "null", "foo"]
DATES = ["9999-12-31", "0001-01-01", "2026-02-31"]
UNICODE = ["\x00", "\u202e" * 20, "😀🏥", "e\u0301\u0301\u0301"]
HUGE = ["9" * 5000]
EMPTY = [""]
CLASSES = [NUMBERS, TEXT, DATES, UNICODE, HUGE, EMPTY]
BAD = {*NUMBERS, *TEXT, *DATES, *UNICODE, *HUGE}

# Forms never sent: they end the session (checked by test_permission_matrix instead).
NOT_SENT = {"accounts:logout", "accounts:sign-out-everywhere"}


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    unchecked: set[str] = field(default_factory=set)  # boxes and radios sent only when chosen


class _FormParser(HTMLParser):
    """The forms of a page as a browser would send them untouched: text values, the checked
    boxes and radios, the selected (else first) option of a select, the textarea's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[Form] = []
        self._select: tuple[str, bool] | None = None  # name, whether an option is chosen yet
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            method = a.get("method", "get").upper() or "GET"
            self.forms.append(Form(method, a.get("action", "")))
            return
        if tag == "a" and "?" in a.get("href", ""):
            # A link with a query string (a filter, a page, an export): its parameters too.
            href = a["href"]
            query = dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))
            self.links.append(Form("GET", href, query, dict.fromkeys(query, "text")))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            form.kinds.setdefault(name, kind)
            if kind in {"submit", "image"}:
                form.buttons.append((name, a.get("value", "")))
            elif kind in {"checkbox", "radio"}:
                if "checked" in a:
                    form.fields[name] = a.get("value", "on")
                else:
                    form.unchecked.add(name)
            elif kind not in {"button", "reset", "file"}:
                form.fields.setdefault(name, a.get("value", ""))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            form.kinds.setdefault(name, "select")
            self._select = (name, False)
        elif tag == "option" and self._select is not None:
            name, chosen = self._select
            if "selected" in a or not chosen:
                form.fields[name] = a.get("value", "")
                self._select = (name, chosen or "selected" in a)
        elif tag == "textarea" and name:
            form.kinds.setdefault(name, "textarea")
            form.fields[name] = ""
            self._textarea = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self.forms:
            self.forms[-1].fields[self._textarea] += data


def _forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms + parser.links


def _values(kind: str, name: str, turn: Iterator[int]) -> list[str]:
    """Every class once (its members in turn across fields), plus the out-of-range numbers for
    a number and every extreme date for a date."""
    index = next(turn)
    values = [members[index % len(members)] for members in CLASSES]
    if kind == "number":
        values += ["-1", "101"]
    if kind == "date" or "date" in name:
        values += DATES
    return list(dict.fromkeys(values))


def _family(name: str) -> str:
    """Fields that differ only by a number (phq9_1 ... phq9_9) are one family: one is fuzzed."""
    return name.rstrip("0123456789")


def _view_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


@dataclass
class Fuzzer:
    world: World
    defaults: dict[str, str]  # known-good values for fields a page leaves empty (credentials)
    seen: set[tuple[object, ...]] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    forms: int = 0
    fields: int = 0
    routes: set[str] = field(default_factory=set)
    turn: Iterator[int] = field(default_factory=lambda: cycle(range(420)))

    def page(
        self,
        client: Client,
        url: str,
        label: str,
        after: Callable[[], None],
        context: str = "",
    ) -> None:
        """Fuzz every form of the page at ``url`` and its query parameters; ``after`` runs after
        every request (to undo a sign-in, a sign-out or a clinic switch)."""
        response = client.get(url)
        self._check(response.status_code, "GET", label, "-", "")
        self.routes.add(label)
        html = "" if response.streaming else response.content.decode(errors="replace")
        forms = _forms(html) if response.status_code == 200 else []
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        if query:
            forms.append(Form("GET", url, query, dict.fromkeys(query, "text")))
        for form in forms:
            self.form(client, form, url, label, after, context)

    def form(
        self,
        client: Client,
        form: Form,
        page: str,
        label: str,
        after: Callable[[], None],
        context: str = "",
    ) -> None:
        target = urljoin(page, form.action or page)
        path = urlsplit(target).path
        name = _view_name(path)
        if name is None or name in NOT_SENT or name.startswith("admin:"):
            return
        data = {k: v or self.defaults.get(k, v) for k, v in form.fields.items()}
        data.pop("csrfmiddlewaretoken", None)
        names = [*data, *sorted(form.unchecked - set(data))]
        for button, value in form.buttons or [("", "")]:
            base = {**data, **({button: value} if button else {})}
            # Credentials last: wrong ones lock the account and the address for a while, and a
            # right password is what the other fields (``next``) need to get deep.
            order = sorted(
                [*names, *([button] if button else [])], key=lambda k: k in self.defaults
            )
            counted = False
            for field_name in order:
                kind = form.kinds.get(field_name, "text")
                # A field is fuzzed once per view and button, whichever page shows its form;
                # fields numbered alike (phq9_1 ... phq9_9) once for all.
                key = (context, form.method, name, button, value, _family(field_name), kind)
                if key in self.seen:
                    continue
                self.seen.add(key)
                if not counted:
                    self.forms += 1
                    counted = True
                self.fields += 1
                for bad in _values(kind, field_name, self.turn):
                    self._send(client, form.method, path, {**base, field_name: bad}, label)
                    after()

    def _send(
        self, client: Client, method: str, path: str, data: dict[str, str], label: str
    ) -> None:
        self.requests += 1
        response = client.get(path, data) if method == "GET" else client.post(path, data)
        what = f"{[k for k, v in data.items() if v in BAD]} of {sorted(data)}"
        self._check(response.status_code, method, label, path, what)
        location = response.get("Location", "") if response.status_code in {301, 302} else ""
        if "?" in location and _view_name(urlsplit(location).path) is not None:
            # Post/redirect/get: the filters go on in the query string (the audit report).
            self.requests += 1
            followed = client.get(location)
            self._check(followed.status_code, "GET", label, location.split("?")[0], what)

    def _check(self, status: int, method: str, label: str, path: str, what: str) -> None:
        if status >= 500:
            self.failures.append(f"{status} {method} {label} {path} {what[:300]!r}")


@pytest.fixture
def world(demo: GenerationResult, clinics: list[Clinic]) -> World:
    home = clinics[0]
    return World(home=home, patient=Patient.objects.filter(clinic=home).order_by("id")[0])


def _role_for(capability: object) -> str:
    """The first role allowed to use a route: staff before the patient."""
    return next(role for role in ALL_ROLES if allows({role}, capability))  # type: ignore[arg-type]


def _questionnaire_client(world: World, nurse: User) -> Client:
    """A browser that opened a one-time questionnaire link (its session carries on at /q/)."""
    assessment = start_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=world.patient,
        instrument_code="phq9",
        mode=Mode.PORTAL,
    )
    token = issue_link(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        assessment=assessment,
        now=timezone.now(),
    )
    client = Client(raise_request_exception=False)
    assert client.get(reverse("questionnaire-link", args=[token])).status_code == 302
    return client


def test_no_bad_value_in_any_field_or_parameter_is_a_server_error(
    world: World, demo_user: Callable[[Role], User]
) -> None:
    started = time.monotonic()
    portal_login = User.objects.get(kind=User.Kind.PATIENT)
    fuzzer = Fuzzer(
        world,
        defaults={
            "username": portal_login.email,
            "email": portal_login.email,
            "password": DEMO_PASSWORD,
            "old_password": DEMO_PASSWORD,
        },
    )
    routes = _routes(world)
    self_referrals = Referral.objects.filter(source=Referral.Source.SELF).count()
    diagnoses = Diagnosis.objects.count()
    clients: dict[str, Client] = {}

    def client_for(role: str) -> tuple[Client, Callable[[], None]]:
        if role not in clients:
            clients[role] = _client_for_role(role, world, demo_user)
            clients[role].raise_request_exception = False
        client = clients[role]
        user = User.objects.get(pk=client.session["_auth_user_id"])

        def back_to_start() -> None:
            # A form may have signed the user out or switched clinic.
            if "_auth_user_id" not in client.session:
                client.force_login(user)
            if client.session.get(SESSION_CLINIC_KEY) != str(world.home.public_id):
                session = client.session
                session[SESSION_CLINIC_KEY] = str(world.home.public_id)
                session.save()

        return client, back_to_start

    for name, call in routes.items():
        if name in NOT_SENT or name.startswith("api "):
            continue  # the API takes JSON, not forms: test_bad_input.py sends it garbage
        client, back_to_start = client_for(_role_for(call.capability))
        if call.method == "GET":
            fuzzer.page(client, call.url, name, back_to_start)
        else:
            # A POST-only route: its own request as the route list sends it (the page it lives
            # on is fuzzed with that page's route).
            fields = dict(call.data or {})
            own = Form("POST", call.url, fields, dict.fromkeys(fields, "text"))
            fuzzer.form(client, own, call.url, name, back_to_start)
    # The public pages, signed out (undoing a successful sign-in after every request) and
    # signed in as staff.
    staff, back_to_start = client_for(Role.NURSE)
    anonymous = Client(raise_request_exception=False)
    public = {
        "accounts:login": reverse("accounts:login") + "?next=/",
        "accounts:sign-in-link-request": reverse("accounts:sign-in-link-request"),
        "accounts:sign-in-link": reverse("accounts:sign-in-link", args=["not-a-token"]),
        "self-check": reverse("self-check"),
        "questionnaire-link": reverse("questionnaire-link", args=["not-a-token"]),
    }
    for name, url in public.items():
        fuzzer.page(anonymous, url, name, anonymous.logout, context="signed out")
    # The sign-in page sends a signed-in user on at once (to ``next``).
    fuzzer.page(staff, public["accounts:login"], "accounts:login", back_to_start, "signed in")
    questionnaire = _questionnaire_client(world, demo_user(Role.NURSE))
    fuzzer.page(questionnaire, reverse("questionnaire"), "questionnaire", lambda: None)
    elapsed = time.monotonic() - started

    print(
        f"\nform fuzzing: {len(fuzzer.routes)} routes, {fuzzer.forms} forms, {fuzzer.fields} "
        f"fields, {fuzzer.requests} requests in {elapsed:.1f} s"
    )
    assert not fuzzer.failures, "\n".join(fuzzer.failures)
    # Garbage wrote nothing it should not have (see test_bad_input.py).
    assert not BreakGlassGrant.objects.exists()
    # A reason of invisible characters (bidi overrides, NUL) never passes for one.
    for screening in Screening.objects.filter(status=Screening.Status.ENTERED_IN_ERROR):
        reason = screening.entered_in_error_reason
        assert reason_problem(reason, minimum=MIN_ENTERED_IN_ERROR_REASON_CHARS) is None, reason
    assert Diagnosis.objects.count() == diagnoses
    # A fuzzed value passes for a reason only if it meets the one reason rule (issue 12.4).
    for assignment in Assignment.objects.filter(status=Assignment.Status.CANCELLED):
        assert reason_problem(assignment.cancel_reason) is None, assignment.cancel_reason
    assert Referral.objects.filter(source=Referral.Source.SELF).count() == self_referrals
    # No name of NUL, bidi overrides or 5,000 digits was stored (compared in Python: SQLite's
    # LIKE stops at a NUL).
    for names in Patient.objects.values_list("given_name", "family_name"):
        for name in names:
            assert not {"\x00", "\u202e"} & set(name), name
            assert len(name) < 5000
    assert not Assessment.objects.filter(status=Assessment.Status.ENTERED_IN_ERROR).exists()
