"""A clinician finds a rapid responder on the Outcomes page and opens their outcome graph: the
chart is drawn, the summary names the response rule, and the table lists every score."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from kapclinic.accounts.models import Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.measurement.tests.trajectories import record_rapid_responder
from kapclinic.patients.models import Patient
from tests.browser.a11y import assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_prescriber_sees_a_rapid_responders_drop_and_relapse(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None], base_url: str
) -> None:
    email = DEMO_LOGINS[Role.PRESCRIBER][0]
    home = list_active_memberships(User.objects.get(email=email))[0].clinic
    patient = Patient.objects.filter(clinic=home).order_by("id")[0]
    nurse = User.objects.get(email=DEMO_LOGINS[Role.NURSE][0])
    start = datetime(2026, 9, 1, 10, 0, tzinfo=home.tzinfo)
    record_rapid_responder(nurse=nurse, patient=patient, start=start)
    console: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            console.append(message.text)

    page.on("console", on_console)
    sign_in(email, DEMO_PASSWORD)
    expect(page).to_have_url(base_url + reverse("today:today"))
    excuse_visited(page)  # test_login checks the login and Today pages
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outcomes").click()
    recent = page.get_by_role("region", name="Recently measured patients")
    expect(recent).to_contain_text(patient.mrn)
    assert_accessible(page)
    recent.get_by_role("link", name=f"{patient.family_name}, {patient.given_name}").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Outcomes")
    phq9 = page.get_by_role("region", name="PHQ-9", exact=True)
    canvas = phq9.get_by_role("img", name=re.compile(r"PHQ-9: 4 scores, from 20 \(severe\)"))
    expect(canvas).to_be_visible()
    # Chart.js has drawn: the canvas has a backing store larger than its default 300x150.
    expect(canvas).to_have_attribute("width", re.compile(r"^\d{3,}$"))
    assert page.evaluate("() => Object.keys(window.Chart.instances).length") == 2
    summary = phq9.get_by_role("table").first
    expect(summary).to_contain_text("first response after 3 days")
    expect(summary.get_by_role("row", name=re.compile("Time to first response"))).to_contain_text(
        "MEAS-TIME-TO-RESPONSE"
    )
    expect(summary.get_by_role("row", name=re.compile("Response at the latest"))).to_contain_text(
        "R-OUT-8"
    )
    scores = phq9.get_by_role("region", name="Every PHQ-9 score").get_by_role("row")
    expect(scores).to_have_count(5)  # a header and four scores
    expect(scores.nth(1)).to_contain_text("20")
    expect(scores.nth(1)).to_contain_text("Severe")
    expect(scores.nth(4)).to_contain_text("Moderately severe")
    pairs = page.get_by_role("region", name="Before and after each session").get_by_role("row")
    expect(pairs).to_have_count(3)
    expect(pairs.nth(1)).to_contain_text("+4")
    assert_accessible(page)
    assert not [text for text in console if "Content Security Policy" in text], console
