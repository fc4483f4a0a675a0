"""The live monitoring console at tablet size (issue 15.6's "done when" for monitoring): a nurse
sees the card of a patient in a chair, enters a vitals set from the card in two taps and the
keypad, the blood-pressure alert it raises (R-ALR-1) is read out by the live region and shows on
the card, and she acknowledges it with the action taken. Every page passes axe-core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.dosing import services as dosing
from kapclinic.dosing.models import DosingSession, SessionAlert
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.tests.conftest import complete_checklist, countersign_pending
from kapclinic.ledger import services as ledger
from kapclinic.ledger.models import DosageForm, Substance, UnitKind
from kapclinic.patients.selectors import latest_weight_kg
from kapclinic.scheduling.models import Appointment
from tests.browser.a11y import assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET: ViewportSize = {"width": 820, "height": 1180}


def _patient_in_a_chair(clinic: Clinic, nurse: Actor, prescriber: Actor) -> DosingSession:
    """A booked infusion of the generated clinic, opened, dosed and under observation through
    the dosing services (open_session, move, the pre-dose checklist, record_dose)."""
    now = timezone.now()
    account = ledger.open_account(actor=prescriber, name="Console test safe", location="Room 1")
    vial = ledger.add_product(
        actor=prescriber,
        name="Ketamine HCl 50 mg/mL, 10 mL vial (console test)",
        substance=Substance.KETAMINE,
        form=DosageForm.INJECTION,
        unit_kind=UnitKind.VIAL,
        mg_per_unit="500",
        concentration_mg_per_ml="50",
        ml_per_unit="10",
    )
    lot = ledger.add_lot(actor=prescriber, product=vial, number="C-1", expires_on=date(2029, 1, 31))
    ledger.receive(
        actor=nurse,
        account=account,
        lot=lot,
        containers=1,
        supplier_name="Example Pharma Distribution",
        supplier_address="1 Supply Way, Columbus, OH 43004",
        supplier_dea="RE1234563",
        invoice_number="INV-C1",
        occurred_at=now,
        now=now,
    )
    appointment = next(
        a
        for a in Appointment.objects.filter(clinic=clinic, session_type="infusion").select_related(
            "patient"
        )
        if latest_weight_kg(a.patient) is not None
    )
    weight = latest_weight_kg(appointment.patient)
    assert weight is not None
    start = now - timedelta(minutes=50)
    session = dosing.open_session(actor=nurse, appointment=appointment, now=start)
    session = dosing.move(actor=nurse, session=session, target=State.CHECKED_IN, now=start)
    countersign_pending(appointment, prescriber, start)
    complete_checklist(session, nurse, prescriber, start)  # its own browser test covers the page
    session = dosing.move(actor=nurse, session=session, target=State.CHECKS_PASSED, now=start)
    session = dosing.move(actor=nurse, session=session, target=State.DOSING, now=start)
    dosing.record_dose(
        actor=nurse,
        session=session,
        lot=lot,
        account=account,
        dose_mg=(Decimal("0.5") * weight).quantize(Decimal("0.1")),
        started_at=start,
        ended_at=start + timedelta(minutes=40),
        now=now,
    )
    return dosing.move(actor=nurse, session=session, target=State.OBSERVATION, now=now)


def test_a_nurse_enters_vitals_from_a_card_and_acknowledges_the_alert(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    nurse_email = DEMO_LOGINS[Role.NURSE][0]
    nurse_user = User.objects.get(email=nurse_email)
    home = list_active_memberships(nurse_user)[0].clinic
    prescriber = User.objects.get(email=DEMO_LOGINS[Role.PRESCRIBER][0])
    session = _patient_in_a_chair(
        home, Actor.for_user(nurse_user, home), Actor.for_user(prescriber, home)
    )
    name = f"{session.patient.given_name} {session.patient.family_name}"

    page.set_viewport_size(TABLET)
    sign_in(nurse_email, DEMO_PASSWORD)
    excuse_visited(page)  # test_login checks the login and Today pages
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Console").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring console")
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name=name))
    expect(card).to_contain_text("Observation")
    expect(card).to_contain_text("min since the dose")
    expect(card).to_contain_text("Systolic blood pressure")
    assert str(session.public_id) not in page.url
    assert_accessible(page)

    # Tap one: the card's button opens the form; the keypad types; tap two saves.
    card.get_by_role("button", name=f"Enter vitals for {name}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    systolic = dialog.get_by_label("Systolic blood pressure (mmHg)")
    expect(systolic).to_have_attribute("inputmode", "decimal")
    systolic.fill("999")
    dialog.get_by_label("Diastolic blood pressure (mmHg)").fill("125")
    dialog.get_by_role("button", name="Save readings").click()
    expect(dialog.get_by_role("alert")).to_contain_text("is not a value a patient can have")
    expect(dialog.get_by_label("Systolic blood pressure (mmHg)")).to_have_value("999")
    assert_accessible(page)
    dialog.get_by_label("Systolic blood pressure (mmHg)").fill("210")
    dialog.get_by_role("button", name="Save readings").click()
    expect(dialog).to_contain_text("Readings saved")

    announcer = page.locator("#console-announcer")
    expect(announcer).to_contain_text(f"New alert for {name}", timeout=6_000)
    expect(card).to_contain_text("Alert (R-ALR-1)")
    expect(dialog).to_be_hidden()

    card.get_by_role("button", name="Acknowledge").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("What was done").fill("Prescriber informed; repeat in 5 minutes")
    assert_accessible(page)
    dialog.get_by_role("button", name="Acknowledge with this action").click()
    expect(dialog).to_contain_text("Alert acknowledged")
    expect(card).not_to_contain_text("Alert (R-ALR-1)", timeout=6_000)
    alert = SessionAlert.objects.get(session=session, rule_id="R-ALR-1")
    assert alert.action_taken == "Prescriber informed; repeat in 5 minutes"

    card.get_by_role("link", name=f"Readings of {name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vital signs")
    expect(page.get_by_role("cell", name="210")).to_be_visible()
    assert_accessible(page)
