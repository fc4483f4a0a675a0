"""A dosing session in the browser at tablet size (issue 15's "done when", first part): a nurse
checks a patient in from the day's dosing list, moves the session through the pre-dose checks,
records the dose with its mg/kg check shown before submitting (R-IV-1), observes, records the
escort (R-DC-1) and discharges after the minimum observation (R-DC-2) with the clock moved on;
the ledger shows the administration. The pre-dose checklist and the readings after the dose are
recorded through the services (their pages have browser tests of their own). Every page passes
axe-core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.dosing import services as dosing
from kapclinic.dosing.models import DischargeSummary, DosingSession
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.tests.conftest import complete_checklist, countersign_pending
from kapclinic.ledger import services as ledger
from kapclinic.ledger.models import DosageForm, Entry, EntryKind, Substance, UnitKind
from kapclinic.patients.selectors import latest_weight_kg
from kapclinic.scheduling.models import Appointment
from tests.browser.a11y import TABLET, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READINGS = {
    VitalKind.SYSTOLIC: Decimal(124),
    VitalKind.DIASTOLIC: Decimal(80),
    VitalKind.HEART_RATE: Decimal(72),
    VitalKind.SPO2: Decimal(98),
}
VIAL = "Ketamine HCl 50 mg/mL, 10 mL vial (session test)"


def _infusion(clinic: Clinic) -> Appointment:
    """A ketamine dosing appointment (weight-based, R-IV-1) of a weighed patient, booked or
    attended (the browser demo's own check-in)."""
    for appointment in Appointment.objects.filter(
        clinic=clinic,
        kind="dosing",
        course__protocol__modality__in=[
            "racemic_ketamine_off_label",
            "ketamine_assisted_psychotherapy",
        ],
        status__in=[Appointment.Status.BOOKED, Appointment.Status.ATTENDED],
    ).order_by("-starts_at"):
        if latest_weight_kg(appointment.patient) is not None:
            return appointment
    pytest.fail("the browser demo books ketamine dosing for a weighed patient")


def _stock(clinic: Clinic, prescriber: User) -> str:
    """The test's own safe and lot; returns the dose form's value for them."""
    actor = Actor.for_user(prescriber, clinic)
    now = timezone.now()
    safe = ledger.open_account(actor=actor, name="Session safe", location="Treatment corridor")
    vial = ledger.add_product(
        actor=actor,
        name=VIAL,
        substance=Substance.KETAMINE,
        form=DosageForm.INJECTION,
        unit_kind=UnitKind.VIAL,
        mg_per_unit="500",
        concentration_mg_per_ml="50",
        ml_per_unit="10",
    )
    lot = ledger.add_lot(actor=actor, product=vial, number="S-15", expires_on=date(2028, 3, 31))
    ledger.receive(
        actor=actor,
        account=safe,
        lot=lot,
        containers=2,
        supplier_name="Example Pharma Distribution",
        supplier_address="1 Supply Way, Columbus, OH 43004",
        supplier_dea="RE1234563",
        invoice_number="INV-1501",
        occurred_at=now,
        now=now,
    )
    return f"{safe.public_id}:{lot.public_id}"


def _wait(page: Page, clock: time_machine.Traveller, minutes: int, url: str) -> None:
    """Let ``minutes`` pass at the chair, the nurse looking at the page every 10 minutes (the
    staff idle timeout is 15)."""
    while minutes > 0:
        step = min(10, minutes)
        clock.shift(timedelta(minutes=step))
        page.goto(url)
        minutes -= step


def test_a_nurse_takes_a_session_from_check_in_to_discharge_at_tablet_size(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    nurse_email = DEMO_LOGINS[Role.NURSE][0]
    nurse_user = User.objects.get(email=nurse_email)
    home = list_active_memberships(nurse_user)[0].clinic
    nurse = Actor.for_user(nurse_user, home)
    appointment = _infusion(home)
    patient = appointment.patient
    weight = latest_weight_kg(patient)
    assert weight is not None
    dose = (Decimal("0.5") * weight).quantize(Decimal("0.1"))
    page.set_viewport_size(TABLET.size)

    with time_machine.travel(appointment.starts_at - timedelta(minutes=10), tick=False) as clock:
        stock = _stock(home, User.objects.get(email=DEMO_LOGINS[Role.PRESCRIBER][0]))
        sign_in(nurse_email, DEMO_PASSWORD)
        excuse_visited(page)  # test_login checks the login and Today pages
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dosing").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dosing sessions")
        assert_accessible(page)

        page.get_by_role("button", name=f"Check in {patient.full_name}").click()
        expect(page.get_by_text("Checked in.")).to_be_visible()
        expect(page.locator("#session-state")).to_contain_text("Checked in")
        assert_accessible(page)
        session = DosingSession.objects.get(appointment=appointment)
        session_url = page.url
        assert str(patient.public_id) not in page.url

        # The pre-dose checklist has its own page and browser test (test_dosing_checks.py):
        # here it is worked through its services.
        prescriber = Actor.for_user(User.objects.get(email=DEMO_LOGINS[Role.PRESCRIBER][0]), home)
        countersign_pending(appointment, prescriber, timezone.now())
        complete_checklist(session, nurse, prescriber, timezone.now())
        page.reload()
        page.get_by_role("button", name="Pre-dose checks passed").click()
        expect(page.locator("#session-state")).to_contain_text("Checks passed")
        page.get_by_role("button", name="Start dosing").click()
        expect(page.locator("#session-state")).to_contain_text("Dosing")

        page.get_by_label("Lot and storage account").select_option(value=stock)
        page.get_by_label("Dose (mg)").fill(f"{dose}")
        page.get_by_role("button", name="Show the calculation").click()
        expect(page.locator("#dose-check")).to_contain_text(f"{dose} mg / {weight} kg")
        expect(page.locator("#dose-check")).to_contain_text("Within the protocol")
        assert_accessible(page, (TABLET,))
        page.get_by_role("button", name="Record the dose").click()
        expect(page.get_by_text("the ledger shows the administration")).to_be_visible()
        page.get_by_role("button", name="Start observation").click()
        expect(page.locator("#session-state")).to_contain_text("Observation")
        expect(page.locator("#unmet")).to_contain_text("Observation continues")
        assert_accessible(page, (TABLET,))

        _wait(page, clock, 30, session_url)
        session.refresh_from_db()
        dosing.record_vitals(
            actor=nurse,
            session=session,
            readings=READINGS,
            moaas=5,
            taken_at=timezone.now(),
            now=timezone.now(),
        )
        page.get_by_label("Escort (the adult who takes the patient home)").fill("Sam Rivera")
        page.get_by_label("The patient acknowledges").check()
        page.get_by_role("button", name="Record the escort").click()
        expect(page.get_by_text("Escort recorded.")).to_be_visible()
        page.get_by_role("button", name="Ready for discharge").click()
        expect(page.get_by_text("The discharge criteria are not met yet.")).to_be_visible()
        assert_accessible(page, (TABLET,))

        session.refresh_from_db()
        _wait(page, clock, session.minimum_observation_minutes, session_url)
        expect(page.locator("#discharge")).to_contain_text("Every discharge criterion is met")
        page.get_by_role("button", name="Ready for discharge").click()
        expect(page.locator("#session-state")).to_contain_text("Ready for discharge")
        page.get_by_role("button", name="Discharge", exact=True).click()
        expect(page.locator("#session-state")).to_contain_text("Discharged")
        expect(page.locator("#summary")).to_contain_text("after a restful sleep")
        assert_accessible(page)

        page.get_by_role("link", name="The ledger's Session safe").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Session safe")
        expect(page.get_by_text("Administration").first).to_be_visible()
        assert_accessible(page, (TABLET,))

    assert DischargeSummary.objects.filter(session=session).exists()
    entry = Entry.objects.get(
        patient=patient, kind=EntryKind.ADMINISTRATION, account__name="Session safe"
    )
    assert entry.quantity_mg == -dose
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.ATTENDED
