"""What `make bench` loads. Adding a scenario is adding one line to SCENARIOS.

A scenario is a request replayed by wrk over loopback: a method, a path (with an optional body)
and who makes it. ``role`` is a kapclinic.accounts Role value ("clinic_admin", "prescriber",
"nurse", "therapist", "front_desk", "researcher"): the request is made as that role's demo login
(kapclinic.demo.generator.DEMO_LOGINS) with a session created directly in the database. It may
also be a user's e-mail address; None means anonymous.

Paths and bodies may name values looked up in the generated data, written {name}; the lookups
live in bench.prepare.RESOLVERS (for example {patient}: a patient of the user's current clinic).
A POST gets a CSRF cookie and the matching X-CSRFToken header automatically.

Every scenario must answer ``expect_status`` (200 by default) before it is loaded: a page that
redirects to the login form would otherwise be benchmarked as a fast redirect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    role: str | None = None
    method: str = "GET"
    body: str = ""
    content_type: str = "application/x-www-form-urlencoded"
    expect_status: int = 200


# The framework floor: a view that touches no database, on the same server and middleware.
# Each scenario's p50 is also printed as a multiple of the floor's.
FLOOR = Scenario("floor (/healthz)", "/healthz")
# The signed-in floor: a staff page that reads nothing but the session (and what every page
# reads: the user, their memberships, the base layout's notices, safety banner and to-do badge)
# and renders the base layout. What any staff page costs before its own work; the page targets
# (bench/targets.py) compare with it. As the front desk, whose pages (patients, search) are the
# most used and whose layout has every shared part (badge, banner, notices).
SIGNED_IN_FLOOR = Scenario("signed-in floor", "/accounts/session/", role="front_desk")

SCENARIOS: list[Scenario] = [
    Scenario("login page", "/accounts/login/"),
    Scenario("today", "/today/", role="clinic_admin"),
    Scenario("patients list", "/patients/", role="front_desk"),
    # Issue 4 target: search under 100 ms p95 server time with 100,000 patients.
    Scenario("search name", "/patients/search/", role="front_desk", method="POST", body="q=mart"),
    Scenario(
        "search 2 words", "/patients/search/", role="front_desk", method="POST", body="q=ana+gar"
    ),
    Scenario(
        "search DOB", "/patients/search/", role="front_desk", method="POST", body="q=1985-06-15"
    ),
    # Issue 5 target: scoring and storing a response under 20 ms p95 server time. Every request
    # creates, scores and stores a new PHQ-9 (item 9 = 0: no safety task) through the API.
    Scenario(
        "score+store PHQ-9",
        "/api/v1/patients/{patient}/questionnaire-responses",
        role="nurse",
        method="POST",
        # A body is a format string: literal JSON braces are doubled.
        body='{{"instrument": "phq9", "occasion": "pre_session", "answers": {{"phq9_1": 2, '
        '"phq9_2": 2, "phq9_3": 1, "phq9_4": 2, "phq9_5": 1, "phq9_6": 1, "phq9_7": 1, '
        '"phq9_8": 0, "phq9_9": 0}}}}',
        content_type="application/json",
        expect_status=201,
    ),
    # Issue 13 target: the week view of a busy clinic under 100 ms p95, with the same number of
    # queries at 1,000 and 100,000 patients (the demo books every clinic's current week).
    Scenario("week view", "/clinic/calendar/", role="front_desk"),
    # Issue 14 target: a two-year report of one account with 100,000 entries under 150 ms
    # p95 with a constant number of queries (its first page, balances and totals of the range).
    Scenario(
        "ledger report 2y",
        "/ledger/reports/?account={ledger_account}&start={two_years_ago}&end={today}",
        role="prescriber",
    ),
    # Issue 5 target: a patient's outcome graph with 500 assessments under 100 ms p95.
    Scenario(
        "outcome graph 500", "/measurement/patients/{outcome_patient}/outcomes/", role="prescriber"
    ),
]
