"""The preparation page of a dosing session and the playlist library (issue 15.2): who may open
them, the htmx sections (saved, or with their errors and nothing typed lost), the audit of the
read, the queries per page whatever the data, the Today list and the session panel."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import (
    DosingSession,
    Playlist,
    PlaylistVersion,
    PreparationNote,
    RoomCheck,
    SettingRecord,
)
from kapclinic.dosing.preparation import selectors
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services import move
from kapclinic.dosing.services.playlists import add_playlist
from kapclinic.dosing.services.preparation import write_patient_intention
from kapclinic.dosing.tests.preparing import Prep, coming_dosing, make_prep, phases
from kapclinic.ledger.tests.books import client_for
from kapclinic.ledger.tests.conftest import staff
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def prep(demo: object) -> Prep:
    return make_prep()


def _url(prep: Prep, name: str = "dosing:preparation") -> str:
    return reverse(name, args=[prep.session.public_id])


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _note_data(**changes: str) -> dict[str, str]:
    data = {
        "intention": "To rest",
        "expectations": "Talked through the arc",
        "touch_consent": "yes",
        "preferred_playlist": "",
        "music_preference": "Strings",
        "eye_mask": "wants",
        "support_person": "Sam, partner",
    }
    data.update(changes)
    return data


def test_r_int_3_the_page_shows_the_patients_own_intention_and_audits_the_read(
    prep: Prep,
) -> None:
    """R-INT-3: the care team reads the patient's own intention with the note; the read is
    audited; what is missing is listed as reminders, not blocks."""
    patient = Patient.objects.get(pk=prep.appointment.patient_id)
    user = User.objects.create_user(
        "portal.page@example.org", "x" * 20, full_name=patient.full_name, kind="patient"
    )
    write_patient_intention(
        actor=Actor.for_user(user),
        patient=patient,
        appointment=prep.appointment,
        text="To meet my grief gently",
        now=prep.now,
    )
    page = client_for(prep.nurse).get(_url(prep)).content.decode()
    assert "To meet my grief gently" in page
    assert "No preparation note yet" in page
    assert "None of these blocks dosing (R-INT-3)" in page
    assert AuditEvent.objects.filter(
        action=DosingAuditAction.PREPARATION_READ, patient_public_id=patient.public_id
    ).exists()


def test_only_clinicians_of_the_sessions_clinic_open_the_page(prep: Prep) -> None:
    assert client_for(prep.front_desk).get(_url(prep)).status_code == 403
    assert client_for(prep.admin).get(_url(prep)).status_code == 403
    other = Clinic.objects.exclude(pk=prep.clinic.pk).order_by("id")[0]
    elsewhere = Actor.for_user(staff(other, Role.NURSE), other)
    assert client_for(elsewhere).get(_url(prep)).status_code == 404


def test_r_int_3_the_note_saves_through_htmx_and_answers_its_section(prep: Prep) -> None:
    """R-INT-3: the section comes back saved, with the list of what is missing (out of band)."""
    response = client_for(prep.therapist).post(
        _url(prep, "dosing:preparation-note"), _note_data(), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="prep-note"' in html
    assert "Saved." in html
    assert 'hx-swap-oob="true"' in html
    assert "The room is not checked yet." in html
    note = PreparationNote.objects.get(session=prep.session)
    assert (note.intention, note.support_person) == ("To rest", "Sam, partner")


def test_a_bad_note_keeps_what_was_typed_with_a_clear_message(prep: Prep) -> None:
    client = client_for(prep.therapist)
    typed = "A" * 201
    response = client.post(
        _url(prep, "dosing:preparation-note"),
        _note_data(support_person=typed, intention="Keep me"),
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Keep me" in html
    assert "at most 200 characters" in html
    htmx = client.post(
        _url(prep, "dosing:preparation-note"), _note_data(touch_consent="maybe"), headers=HTMX
    )
    assert htmx.status_code == 200
    assert "Select a valid choice" in htmx.content.decode()
    assert not PreparationNote.objects.filter(session=prep.session).exists()


def test_the_room_check_and_the_setting_save_from_the_page(prep: Prep) -> None:
    """R-INT-8: the setting used, with the playlist version played."""
    client = client_for(prep.nurse)
    items = {field: "on" for field, _label in RoomCheck.ITEMS if field != "temperature"}
    response = client.post(_url(prep, "dosing:preparation-room"), {**items, "notes": ""})
    assert response.status_code == 302
    assert RoomCheck.objects.get(session=prep.session).missing == ["Temperature comfortable"]
    assert "not ready (temperature comfortable)" in client.get(_url(prep)).content.decode()
    version = PlaylistVersion.objects.filter(playlist__clinic=prep.clinic).order_by("id")[0]
    data = {
        "room": str(prep.appointment.room.public_id),
        "audio": "headphones",
        "playlist_version": str(version.public_id),
        "eye_mask_used": "yes",
        "lighting": "Lamp only",
        "support_person_present": "no",
        "present": "Nurse",
    }
    early = client.post(_url(prep, "dosing:preparation-setting"), data, headers=HTMX)
    assert "once the patient is checked in" in early.content.decode()
    # Checking in marks the appointment attended: on its day (issue 15.1).
    arrived = prep.appointment.starts_at
    move(actor=prep.nurse, session=prep.session, target=State.CHECKED_IN, now=arrived)
    saved = client.post(_url(prep, "dosing:preparation-setting"), data, headers=HTMX)
    assert "Saved." in saved.content.decode()
    assert SettingRecord.objects.get(session=prep.session).playlist_version == version


def test_the_page_costs_the_same_queries_whatever_the_data(prep: Prep) -> None:
    client = client_for(prep.nurse)
    url = _url(prep)
    _queries(client, url)  # warm the session
    few = _queries(client, url)
    client.post(_url(prep, "dosing:preparation-note"), _note_data())
    for n in range(4):
        add_playlist(
            actor=prep.admin,
            name=f"More {n}",
            style="Style",
            description="",
            phases=phases(),
            now=prep.now,
        )
    make_prep(skip=1)
    assert _queries(client, url) == few


def test_an_appointment_without_a_session_opens_one_when_asked(prep: Prep) -> None:
    client = client_for(prep.nurse)
    other = make_prep(skip=1)
    url = reverse("dosing:prepare-appointment", args=[other.appointment.public_id])
    assert client.get(url)["Location"] == reverse(
        "dosing:preparation", args=[other.session.public_id]
    )
    fresh = coming_dosing(prep.clinic, prep.now)
    url = reverse("dosing:prepare-appointment", args=[fresh.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "Open the session and prepare it" in page.content.decode()
    opened = client.post(url)
    session = DosingSession.objects.get(appointment=fresh)
    assert opened["Location"] == reverse("dosing:preparation", args=[session.public_id])


def test_the_panel_summarises_a_sessions_preparation(prep: Prep) -> None:
    client_for(prep.therapist).post(_url(prep, "dosing:preparation-note"), _note_data())
    session = DosingSession.objects.select_related(
        "preparation_note", "appointment__patient_intention"
    ).get(pk=prep.session.pk)
    html = render_to_string("dosing/panels/preparation.html", {"session": session})
    assert "To rest" in html
    assert "Yes, brief gentle touch" in html
    assert "Not checked yet" in html
    assert _url(prep) in html


# --- the playlist library ---------------------------------------------------------------------


def _playlist_data(**changes: str) -> dict[str, str]:
    data = {
        "name": "Dawn",
        "style": "Folk",
        "description": "",
        "onset_minutes": "15",
        "onset_tracks": "First light — Trio",
        "peak_minutes": "30",
        "peak_tracks": "Open field — Trio\nRiver — Trio",
        "return_minutes": "20",
        "return_tracks": "Home",
        "change_note": "",
    }
    data.update(changes)
    return data


def test_r_int_8_the_admin_adds_and_edits_a_playlist_as_versions(prep: Prep) -> None:
    """R-INT-8: playlists are versioned assets: an edit saves the next version."""
    client = client_for(prep.admin)
    library = client.get(reverse("playlists:library")).content.decode()
    assert "Evening ragas" in library  # the demo's choices from several traditions
    added = client.post(reverse("playlists:add"), _playlist_data())
    playlist = Playlist.objects.get(public_id=added["Location"].rstrip("/").split("/")[-1])
    edited = client.post(
        reverse("playlists:playlist", args=[playlist.public_id]),
        _playlist_data(peak_minutes="40", change_note="Longer peak"),
    )
    assert edited.status_code == 302
    numbers = list(playlist.versions.values_list("number", "total_minutes"))
    assert numbers == [(1, 65), (2, 75)]
    page = client.get(reverse("playlists:playlist", args=[playlist.public_id])).content.decode()
    assert "Longer peak" in page
    assert "Open field" in page


def test_a_bad_playlist_keeps_what_was_typed(prep: Prep) -> None:
    client = client_for(prep.admin)
    response = client.post(
        reverse("playlists:add"), _playlist_data(peak_tracks="", onset_minutes="500")
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "First light — Trio" in html
    assert "less than or equal to 240" in html
    assert not PlaylistVersion.objects.filter(name="Dawn").exists()
    assert client_for(prep.nurse).get(reverse("playlists:library")).status_code == 403


def test_the_library_costs_the_same_queries_whatever_the_playlists(prep: Prep) -> None:
    client = client_for(prep.admin)
    url = reverse("playlists:library")
    _queries(client, url)
    few = _queries(client, url)
    for n in range(5):
        add_playlist(
            actor=prep.admin,
            name=f"Extra {n}",
            style="S",
            description="",
            phases=phases(),
            now=prep.now,
        )
    assert _queries(client, url) == few


def test_retiring_a_playlist_keeps_it_out_of_new_choices(prep: Prep) -> None:
    client = client_for(prep.admin)
    version = PlaylistVersion.objects.filter(playlist__clinic=prep.clinic).order_by("id")[0]
    client.post(reverse("playlists:retire", args=[version.playlist.public_id]))
    page = client_for(prep.nurse).get(_url(prep)).content.decode()
    assert f'value="{version.playlist.public_id}"' not in page
    library = client.get(reverse("playlists:library")).content.decode()
    assert library.index("Retired") < library.index(version.name)


def test_missing_records_answer_404_and_empty_choices_read_as_none(prep: Prep) -> None:
    client = client_for(prep.nurse)
    assert client.get(reverse("dosing:preparation", args=[uuid4()])).status_code == 404
    assert client.get(reverse("dosing:prepare-appointment", args=[uuid4()])).status_code == 404
    admin = client_for(prep.admin)
    assert admin.get(reverse("playlists:playlist", args=[uuid4()])).status_code == 404
    assert selectors.playlist_in_use(prep.clinic, "") is None
    assert selectors.playlist_version_of(prep.clinic, "") is None
    assert selectors.room_of(prep.clinic, "") is None
    version = selectors.current_versions(prep.clinic)[0]
    assert selectors.playlist_name(version.playlist) == f"{version.name} ({version.style})"
