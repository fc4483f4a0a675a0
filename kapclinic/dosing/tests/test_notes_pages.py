"""The notes page, the REMS forms worklist and one REMS form (issue 15.8), through the test
client: htmx and plain posts, refusals that keep what was typed, constant query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.dosing.models import RemsFormSubmission, SessionNote
from kapclinic.dosing.notes import services
from kapclinic.dosing.rules import rems_form
from kapclinic.dosing.tests.esketamine import (
    EsketamineSession,
    esketamine_appointments,
    esketamine_session,
)
from kapclinic.ledger.models import Entry
from kapclinic.ledger.tests.conftest import Stock

HTMX = {"HX-Request": "true"}


@pytest.fixture
def dosed(stock: Stock, receive: Callable[..., Entry]) -> EsketamineSession:
    return esketamine_session(stock, receive, dosed_at=stock.now - timedelta(hours=3))


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_a_nurse_signs_a_note_and_a_therapist_adds_an_addendum_with_htmx(
    dosed: EsketamineSession, client_for: Callable[[Role], Client]
) -> None:
    """Issue 15.8: the draft, its signing and an addendum, each answered with the panel."""
    nurse = client_for(Role.NURSE)
    notes = reverse("dosing:notes", args=[dosed.session.public_id])
    assert "Write a note" in _page(nurse, notes)
    draft_url = reverse("dosing:note_draft", args=[dosed.session.public_id])
    saved = nurse.post(draft_url, {"text": "Calm, eyes closed.", "action": "save"}, headers=HTMX)
    assert saved.status_code == 200
    assert "Draft saved" in saved.content.decode()
    signed = nurse.post(draft_url, {"text": "Calm, eyes closed.", "action": "sign"}, headers=HTMX)
    assert "Note signed" in signed.content.decode()
    note = SessionNote.objects.get(session=dosed.session)
    assert note.is_signed
    therapist = client_for(Role.THERAPIST)
    prefix = f"add-{note.public_id}"
    added = therapist.post(
        reverse("dosing:note_addendum", args=[dosed.session.public_id, note.public_id]),
        {f"{prefix}-text": "Integration booked for Thursday."},
    )
    assert added.status_code == 302
    page = _page(therapist, notes)
    assert "Integration booked for Thursday." in page
    assert "Signed and locked" in page


def test_an_empty_note_is_refused_and_what_was_typed_is_kept(
    dosed: EsketamineSession, client_for: Callable[[Role], Client]
) -> None:
    """Issue 15.8: a refused note comes back with its message and the text typed."""
    nurse = client_for(Role.NURSE)
    url = reverse("dosing:note_draft", args=[dosed.session.public_id])
    response = nurse.post(url, {"text": " \u200b ", "action": "sign"})
    assert response.status_code == 422
    assert "it is empty" in response.content.decode()
    too_long = "word " * 4001
    response = nurse.post(url, {"text": too_long, "action": "save"})
    assert response.status_code == 422
    assert too_long.strip() in response.content.decode()
    assert not SessionNote.objects.filter(session=dosed.session).exists()


def test_the_notes_page_takes_the_same_queries_whatever_the_notes(
    stock: Stock, dosed: EsketamineSession, client_for: Callable[[Role], Client]
) -> None:
    """Issue 15.8: notes and addenda are read in two queries, however many there are."""
    client = client_for(Role.PRESCRIBER)
    url = reverse("dosing:notes", args=[dosed.session.public_id])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _page(client, url)
        return len(captured.captured_queries)

    def note(text: str) -> None:
        draft = services.save_draft(
            actor=stock.nurse, session=dosed.session, text=text, now=stock.now
        )
        signed = services.sign_note(actor=stock.nurse, note=draft, now=stock.now)
        services.add_addendum(
            actor=stock.prescriber, note=signed, text=f"{text}, seen", now=stock.now
        )

    note("First")
    one = queries()
    note("Second")
    note("Third")
    assert queries() == one


def test_the_rems_form_page_marks_it_submitted_and_refuses_a_bad_number(
    dosed: EsketamineSession, client_for: Callable[[Role], Client]
) -> None:
    """R-REMS-5: the form's content on the page; a bad number is refused with what was typed;
    the right one marks it submitted with the rule's due day."""
    admin = client_for(Role.CLINIC_ADMIN)
    url = reverse("dosing:rems_form", args=[dosed.session.public_id])
    page = _page(admin, url)
    assert "REMS Patient Monitoring Form" in page
    assert "D-1" in page
    assert "Mark submitted" in page
    today = dosed.dosed_at.astimezone(dosed.session.clinic.tzinfo).date()
    bad = admin.post(url, {"confirmation_number": "no/!", "submitted_on": today.isoformat()})
    assert bad.status_code == 422
    assert "letters and digits" in bad.content.decode()
    assert 'value="no/!"' in bad.content.decode()
    ok = admin.post(url, {"confirmation_number": "PMF-77", "submitted_on": today.isoformat()})
    assert ok.status_code == 302
    submission = RemsFormSubmission.objects.get(session=dosed.session)
    assert submission.due_on == rems_form.due_on(today)
    assert "confirmation number <strong>PMF-77</strong>" in _page(admin, url)


def test_the_worklist_page_takes_the_same_queries_whatever_the_forms(
    stock: Stock, receive: Callable[..., Entry], client_for: Callable[[Role], Client]
) -> None:
    """R-REMS-5: the worklist page reads a constant number of queries."""
    appointments = esketamine_appointments(stock)
    client = client_for(Role.PRESCRIBER)
    url = reverse("dosing:rems_forms")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _page(client, url)
        return len(captured.captured_queries)

    esketamine_session(
        stock, receive, dosed_at=stock.now - timedelta(days=9), appointment=appointments[0]
    )
    one = queries()
    for n, appointment in enumerate(appointments[1:3], start=1):
        esketamine_session(
            stock, receive, dosed_at=stock.now - timedelta(days=n), appointment=appointment
        )
    assert queries() == one
    page = _page(client, url)
    assert "Overdue by" in page  # the first, 9 days ago
