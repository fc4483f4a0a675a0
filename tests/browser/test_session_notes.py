"""Session notes and the REMS Patient Monitoring Form in the browser at tablet size (issue
15.8): the prescriber of an esketamine session (the demo's esketamine courses are in its second
clinic, where the demo prescriber works too) signs a note and adds an addendum (htmx swaps the
panel; the live region says what was done), then finds the session's form among the REMS forms
due, opens it and marks it submitted with the REMS confirmation number. Each page and state
passes axe-core at phone, tablet and desk sizes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.dosing.models import NoteAddendum, RemsFormSubmission, SessionNote
from kapclinic.dosing.tests.esketamine import EsketamineSession, esketamine_session
from kapclinic.ledger import services as ledger
from kapclinic.ledger.models import DosageForm, Entry, Lot, StockAccount, Substance, UnitKind
from kapclinic.ledger.tests.conftest import VIAL_SUPPLIER, Stock, staff
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import Modality
from tests.browser.a11y import TABLET, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _esketamine_clinic() -> Clinic:
    appointment = (
        Appointment.objects.filter(course__protocol__modality=Modality.ESKETAMINE_REMS.value)
        .select_related("clinic")
        .first()
    )
    assert appointment is not None, "the demo has an esketamine course"
    return appointment.clinic


def _session(clinic: Clinic) -> EsketamineSession:
    """An esketamine session of ``clinic``, dosed three hours ago and discharged, through the
    ledger's and dosing's services (the nurse: one of the clinic's)."""
    nurse = Actor.for_user(staff(clinic, Role.NURSE), clinic)
    prescriber = Actor.for_user(User.objects.get(email=DEMO_LOGINS[Role.PRESCRIBER][0]), clinic)
    now = timezone.now()
    safe = ledger.open_account(actor=prescriber, name="Notes safe", location="Room 2")
    device = ledger.add_product(
        actor=prescriber,
        name="Esketamine 28 mg nasal spray device (test)",
        substance=Substance.ESKETAMINE,
        form=DosageForm.NASAL_SPRAY,
        unit_kind=UnitKind.DEVICE,
        mg_per_unit="28",
    )
    lot = ledger.add_lot(
        actor=prescriber, product=device, number="D-1", expires_on=date(now.year + 2, 1, 31)
    )
    stock = Stock(clinic, nurse, prescriber, safe, safe, lot, lot, lot, now)

    def receive(
        stock: Stock, lot: Lot, containers: int, account: StockAccount | None = None
    ) -> Entry:
        return ledger.receive(
            actor=nurse,
            account=safe,
            lot=lot,
            containers=containers,
            occurred_at=now - timedelta(hours=4),
            now=now,
            **VIAL_SUPPLIER,
        )

    return esketamine_session(stock, receive, dosed_at=now - timedelta(hours=3))


def test_a_prescriber_signs_a_note_adds_an_addendum_and_submits_the_form(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    """Issue 15.8, R-REMS-5: a signed note, an addendum, the form marked submitted."""
    email = DEMO_LOGINS[Role.PRESCRIBER][0]
    there = _esketamine_clinic()
    made = _session(there)
    patient = made.session.patient
    page.set_viewport_size(TABLET.size)

    sign_in(email, DEMO_PASSWORD)
    excuse_visited(page)  # test_login checks the login and Today pages
    page.get_by_label("Clinic", exact=True).select_option(label=there.name)
    page.get_by_role("button", name="Switch").click()
    excuse_visited(page)  # Today again, in the other clinic
    page.goto(reverse("dosing:notes", args=[made.session.public_id]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session notes")
    expect(page.get_by_text("No signed note yet.")).to_be_visible()
    assert_accessible(page)

    # An empty note is refused in place; nothing is stored.
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    assert not SessionNote.objects.filter(session=made.session).exists()
    assert_accessible(page)

    page.get_by_label("Your note").fill("Calm throughout; BP 148/88 at 40 minutes, back by 2 h.")
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_role("status")).to_contain_text("Note signed")
    note_heading = page.get_by_role("heading", name="Prescriber note by")
    expect(note_heading).to_be_visible()
    expect(page.get_by_text("Signed and locked")).to_be_visible()
    assert_accessible(page)
    note = SessionNote.objects.get(session=made.session)
    assert note.is_signed
    assert note.author.email == email

    page.get_by_text("Add an addendum", exact=True).click()
    page.get_by_label("Addendum").fill("Phoned at 18:00: home safely, slept.")
    page.get_by_role("button", name="Sign the addendum").click()
    expect(page.get_by_role("status")).to_contain_text("Addendum signed")
    expect(page.get_by_text("Phoned at 18:00: home safely, slept.")).to_be_visible()
    assert_accessible(page)
    addendum = NoteAddendum.objects.get(note=note)
    assert addendum.author.email == email
    assert SessionNote.objects.get(pk=note.pk).text == note.text  # the note itself unchanged

    page.get_by_role("navigation", name="Main").get_by_role("link", name="REMS forms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("REMS Patient Monitoring Forms")
    assert_accessible(page)
    page.get_by_role("link", name=f"{patient.family_name}, {patient.given_name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("REMS Patient Monitoring Form")
    expect(page.get_by_text("Not in the record: answer from the notes")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("REMS confirmation number").fill("PMF 2026/0417!")
    page.get_by_role("button", name="Mark submitted").click()
    expect(page.get_by_text("letters and digits")).to_be_visible()
    expect(page.get_by_label("REMS confirmation number")).to_have_value("PMF 2026/0417!")
    assert_accessible(page)
    page.get_by_label("REMS confirmation number").fill("PMF-2026-0417")
    page.get_by_role("button", name="Mark submitted").click()
    expect(page.get_by_text("The form is marked submitted to the REMS.")).to_be_visible()
    expect(page.get_by_text("PMF-2026-0417")).to_be_visible()
    assert_accessible(page)
    submission = RemsFormSubmission.objects.get(session=made.session)
    assert submission.submitted_by.email == email
    assert submission.on_time
