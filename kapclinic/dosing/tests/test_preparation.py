"""Preparation, set and setting (issue 15.2) through the services: the preparation note
(R-INT-3), the room check, the setting used (R-INT-8), the patient's own intention, the
versioned playlists, and the audit of each write."""

from __future__ import annotations

import pytest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, Room, User
from kapclinic.accounts.permissions import Capability
from kapclinic.audit.models import AuditEvent
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import PlaylistVersion, PreparationNote, RoomCheck, SettingRecord
from kapclinic.dosing.models.setting import Audio, EyeMask, TouchConsent
from kapclinic.dosing.preparation import selectors
from kapclinic.dosing.rules.setting import (
    PreparationFacts,
    preparation_gaps,
)
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services import move
from kapclinic.dosing.services.playlists import add_playlist, retire_playlist, revise_playlist
from kapclinic.dosing.services.preparation import (
    PreparationError,
    record_room_check,
    record_setting,
    write_patient_intention,
    write_preparation_note,
)
from kapclinic.dosing.tests.conftest import complete_checklist, countersign_pending
from kapclinic.dosing.tests.preparing import Prep, make_prep, phases
from kapclinic.ledger.tests.conftest import staff
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def prep(demo: object) -> Prep:
    return make_prep()


def _note(prep: Prep, **changes: object) -> PreparationNote:
    values: dict[str, object] = {
        "intention": "To be kinder to myself.",
        "expectations": "Onset, 40-60 minutes altered, return.",
        "touch_consent": TouchConsent.YES,
        "preferred_playlist": None,
        "music_preference": "No words",
        "eye_mask": EyeMask.WANTS,
        "support_person": "Sam, partner",
    }
    values.update(changes)
    return write_preparation_note(
        actor=prep.therapist,
        session=prep.session,
        now=prep.now,
        **values,  # type: ignore[arg-type]
    )


def _events(prep: Prep, action: DosingAuditAction) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=action, target__endswith=str(prep.session.public_id))
    )


def test_r_int_3_the_note_captures_each_item_and_is_audited_without_its_text(prep: Prep) -> None:
    """R-INT-3: intention, expectations, touch consent, music, eye mask, support person; the
    audit names the fields written, never what they say."""
    note = _note(prep)
    assert (note.touch_consent, note.eye_mask, note.support_person) == (
        TouchConsent.YES,
        EyeMask.WANTS,
        "Sam, partner",
    )
    _note(prep, intention="To be kinder to myself, and to rest.")
    events = _events(prep, DosingAuditAction.PREPARATION_NOTE_WRITTEN)
    assert [e.operation for e in events] == ["create", "update"]
    assert events[1].detail["fields"] == ["intention"]
    assert all("kinder" not in str(e.detail) for e in events)
    assert PreparationNote.objects.filter(session=prep.session).count() == 1


def test_r_int_3_a_missing_intention_is_a_soft_warning_never_a_block(prep: Prep) -> None:
    """R-INT-3: dosing is not blocked by a missing intention: the gap is words, and the session
    still moves on to the dose."""
    _note(prep, intention="")
    session = selectors.access_session(
        actor=prep.nurse,
        public_id=prep.session.public_id,
        capability=Capability.PREPARE_SESSIONS,
        action=None,
    ).session
    gaps = selectors.gaps_of(session)
    assert "No intention yet (held lightly; it does not block dosing)." in gaps
    moved = move(
        actor=prep.nurse,
        session=prep.session,
        target=State.CHECKED_IN,
        now=prep.appointment.starts_at,
    )
    at = prep.appointment.starts_at
    prescriber = Actor.for_user(staff(prep.clinic, Role.PRESCRIBER), prep.clinic)
    countersign_pending(prep.appointment, prescriber, at)
    complete_checklist(moved, prep.nurse, prescriber, at)
    moved = move(actor=prep.nurse, session=moved, target=State.CHECKS_PASSED, now=at)
    assert move(actor=prep.nurse, session=moved, target=State.DOSING, now=at).state == State.DOSING


def test_r_int_3_gaps_list_each_missing_item() -> None:
    """R-INT-3: each missing item in words; the patient's own intention counts as one."""
    empty = PreparationFacts(
        note_written=True,
        intention="",
        patient_intention="",
        expectations="",
        touch_consent_asked=False,
        music_chosen=False,
        eye_mask_chosen=False,
        support_person="",
        room_checked=True,
        room_ready=False,
    )
    assert len(preparation_gaps(empty)) == 7
    own = PreparationFacts(**{**empty.__dict__, "patient_intention": "Rest", "room_ready": True})
    assert len(preparation_gaps(own)) == 5
    unwritten = PreparationFacts(**{**empty.__dict__, "note_written": False, "room_checked": False})
    assert preparation_gaps(unwritten)[0].startswith("No preparation note yet")
    assert preparation_gaps(unwritten)[1] == "The room is not checked yet."


def test_the_note_refuses_too_long_text_and_unknown_choices_and_another_clinics_playlist(
    prep: Prep,
) -> None:
    with pytest.raises(PreparationError, match="4001 characters long") as error:
        _note(prep, expectations="x" * 4001)
    assert error.value.field == "expectations"
    with pytest.raises(PreparationError, match="Choose one of the options"):
        _note(prep, touch_consent="maybe")
    other = next(v for v in PlaylistVersion.objects.exclude(playlist__clinic=prep.clinic))
    with pytest.raises(PreparationError, match="clinic's playlists in use"):
        _note(prep, preferred_playlist=other.playlist)
    with pytest.raises(PreparationError, match="Only the clinicians"):
        write_preparation_note(
            actor=prep.front_desk,
            session=prep.session,
            intention="",
            expectations="",
            touch_consent=TouchConsent.NOT_ASKED,
            preferred_playlist=None,
            music_preference="",
            eye_mask=EyeMask.UNDECIDED,
            support_person="",
            now=prep.now,
        )
    assert not PreparationNote.objects.filter(session=prep.session).exists()


def test_the_room_check_records_what_is_missing_and_closes_once_dosing_starts(prep: Prep) -> None:
    """The room is checked before the patient arrives; an item not ready stays visible."""
    items = {field: True for field, _label in RoomCheck.ITEMS}
    items["monitoring_equipment"] = False
    check = record_room_check(
        actor=prep.nurse, session=prep.session, items=items, notes="Cuff on order", now=prep.now
    )
    assert check.missing == ["Monitoring equipment tested and working"]
    assert _events(prep, DosingAuditAction.ROOM_CHECKED)[0].detail == {
        "missing": ["monitoring_equipment"]
    }
    items["monitoring_equipment"] = True
    assert record_room_check(
        actor=prep.nurse, session=prep.session, items=items, notes="", now=prep.now
    ).ready
    with pytest.raises(PreparationError, match="Unknown room item"):
        record_room_check(
            actor=prep.nurse, session=prep.session, items={"sofa": True}, notes="", now=prep.now
        )
    prep.session.state = State.DOSING
    with pytest.raises(PreparationError, match="before the session starts"):
        record_room_check(
            actor=prep.nurse, session=prep.session, items=items, notes="", now=prep.now
        )


def test_r_int_8_the_setting_keeps_the_playlist_version_it_used(prep: Prep) -> None:
    """R-INT-8: eye mask, headphones or room audio, the playlist version, lighting, the support
    person present; a later edit of the playlist leaves the session's version as it was."""
    version = add_playlist(
        actor=prep.admin,
        name="Test arc",
        style="Test style",
        description="",
        phases=phases(),
        now=prep.now,
    )
    with pytest.raises(PreparationError, match="once the patient is checked in"):
        _setting(prep, version)
    move(
        actor=prep.nurse,
        session=prep.session,
        target=State.CHECKED_IN,
        now=prep.appointment.starts_at,
    )
    prep.session.refresh_from_db()
    setting = _setting(prep, version)
    newer = revise_playlist(
        actor=prep.admin,
        playlist=version.playlist,
        name="Test arc",
        style="Test style",
        description="",
        phases=phases(peak_minutes=40),
        change_note="Longer peak",
        now=prep.now,
    )
    setting.refresh_from_db()
    assert (newer.number, setting.playlist_version_id) == (2, version.pk)
    assert setting.playlist_version is not None
    assert setting.playlist_version.total_minutes == 70
    assert _events(prep, DosingAuditAction.SETTING_RECORDED)[0].detail["playlist_version"] == str(
        version.public_id
    )


def _setting(prep: Prep, version: PlaylistVersion | None, **changes: object) -> SettingRecord:
    values: dict[str, object] = {
        "room": prep.appointment.room,
        "playlist_version": version,
        "audio": Audio.HEADPHONES,
        "eye_mask_used": True,
        "lighting": "Lamp only, blinds down",
        "support_person_present": False,
        "present": "Nurse and therapist",
    }
    values.update(changes)
    return record_setting(actor=prep.nurse, session=prep.session, now=prep.now, **values)  # type: ignore[arg-type]


def test_r_int_8_the_setting_refuses_music_without_a_version_and_empty_words(prep: Prep) -> None:
    move(
        actor=prep.nurse,
        session=prep.session,
        target=State.CHECKED_IN,
        now=prep.appointment.starts_at,
    )
    prep.session.refresh_from_db()
    with pytest.raises(PreparationError, match="Choose the playlist played") as error:
        _setting(prep, None)
    assert error.value.field == "playlist_version"
    version = selectors.current_versions(prep.clinic)[0]
    with pytest.raises(PreparationError, match="No music was played"):
        _setting(prep, version, audio=Audio.NONE)
    with pytest.raises(PreparationError, match="how the room was lit"):
        _setting(prep, version, lighting="  ")
    with pytest.raises(PreparationError, match="who was in the room"):
        _setting(prep, version, present="")
    other = PlaylistVersion.objects.exclude(playlist__clinic=prep.clinic).first()
    with pytest.raises(PreparationError, match="clinic's playlists"):
        _setting(prep, other)
    assert _setting(prep, None, audio=Audio.NONE) is not None


def test_the_patient_writes_their_own_intention_before_the_session(prep: Prep) -> None:
    patient = Patient.objects.get(pk=prep.appointment.patient_id)
    user = User.objects.create_user(
        "portal.intention@example.org", "x" * 20, full_name=patient.full_name, kind="patient"
    )
    actor = Actor.for_user(user)
    written = write_patient_intention(
        actor=actor, patient=patient, appointment=prep.appointment, text=" Rest ", now=prep.now
    )
    assert written.text == "Rest"
    with pytest.raises(PreparationError, match="Write your intention"):
        write_patient_intention(
            actor=actor, patient=patient, appointment=prep.appointment, text=" ", now=prep.now
        )
    with pytest.raises(PreparationError, match="has started"):
        write_patient_intention(
            actor=actor,
            patient=patient,
            appointment=prep.appointment,
            text="Later",
            now=prep.appointment.starts_at,
        )
    with pytest.raises(PreparationError, match="Only the patient"):
        write_patient_intention(
            actor=prep.nurse, patient=patient, appointment=prep.appointment, text="x", now=prep.now
        )


def test_refusals_outside_the_clinic_and_after_the_record_closes(prep: Prep) -> None:
    """Each write answers for the actor's clinic only, and a session entered in error takes no
    more preparation."""
    other = Clinic.objects.exclude(pk=prep.clinic.pk).order_by("id")[0]
    elsewhere = Actor.for_user(staff(other, Role.NURSE), other)
    with pytest.raises(PreparationError, match="not in your clinic"):
        write_preparation_note(
            actor=elsewhere,
            session=prep.session,
            intention="",
            expectations="",
            touch_consent=TouchConsent.NOT_ASKED,
            preferred_playlist=None,
            music_preference="",
            eye_mask=EyeMask.UNDECIDED,
            support_person="",
            now=prep.now,
        )
    theirs = PlaylistVersion.objects.filter(playlist__clinic=other).order_by("id")[0]
    other_admin = Actor.for_user(staff(other, Role.CLINIC_ADMIN), other)
    assert other_admin.current_clinic == other
    with pytest.raises(PreparationError, match="not in your clinic"):
        revise_playlist(
            actor=prep.admin,
            playlist=theirs.playlist,
            name="x",
            style="y",
            description="",
            phases=phases(),
            change_note="",
            now=prep.now,
        )
    with pytest.raises(PreparationError, match="not in your clinic"):
        retire_playlist(actor=prep.admin, playlist=theirs.playlist, now=prep.now)
    retire_playlist(actor=other_admin, playlist=theirs.playlist, now=prep.now)
    with pytest.raises(PreparationError, match="already retired"):
        retire_playlist(actor=other_admin, playlist=theirs.playlist, now=prep.now)
    with pytest.raises(PreparationError, match="Only the clinic's administrators"):
        add_playlist(
            actor=prep.nurse, name="N", style="S", description="", phases=phases(), now=prep.now
        )
    prep.session.state = State.ENTERED_IN_ERROR
    with pytest.raises(PreparationError, match="entered in error"):
        _note(prep)
    with pytest.raises(PreparationError, match="entered in error"):
        _setting(prep, None, audio=Audio.NONE)


def test_the_setting_room_and_playlist_bounds(prep: Prep) -> None:
    move(
        actor=prep.nurse,
        session=prep.session,
        target=State.CHECKED_IN,
        now=prep.appointment.starts_at,
    )
    prep.session.refresh_from_db()
    consult = Room.objects.filter(clinic=prep.clinic).exclude(kind=Room.Kind.TREATMENT).first()
    assert consult is not None
    with pytest.raises(PreparationError, match="treatment rooms") as error:
        _setting(prep, None, audio=Audio.NONE, room=consult)
    assert error.value.field == "room"
    with pytest.raises(PreparationError, match="Choose one of the options"):
        _setting(prep, None, audio="speakers")
    with pytest.raises(PreparationError, match="at most 200"):
        _setting(prep, None, audio=Audio.NONE, lighting="l" * 201)
    first = _setting(prep, None, audio=Audio.NONE)
    again = _setting(prep, None, audio=Audio.NONE, present="Nurse only")
    assert first.pk == again.pk
    assert _events(prep, DosingAuditAction.SETTING_RECORDED)[-1].detail["fields"] == ["present"]


def test_a_patient_writes_only_for_a_coming_dosing_session(prep: Prep) -> None:
    patient = Patient.objects.get(pk=prep.appointment.patient_id)
    user = User.objects.create_user(
        "portal.only@example.org", "x" * 20, full_name=patient.full_name, kind="patient"
    )
    actor = Actor.for_user(user)
    talk = Appointment.objects.filter(patient=patient).exclude(kind="dosing").first()
    if talk is not None:
        with pytest.raises(PreparationError, match="not a coming dosing session"):
            write_patient_intention(
                actor=actor, patient=patient, appointment=talk, text="x", now=prep.now
            )
    with pytest.raises(PreparationError, match="at most 2000"):
        write_patient_intention(
            actor=actor,
            patient=patient,
            appointment=prep.appointment,
            text="t" * 2001,
            now=prep.now,
        )
    first = write_patient_intention(
        actor=actor, patient=patient, appointment=prep.appointment, text="One", now=prep.now
    )
    second = write_patient_intention(
        actor=actor, patient=patient, appointment=prep.appointment, text="Two", now=prep.now
    )
    assert (first.pk, second.text) == (second.pk, "Two")
    fresh = Appointment.objects.select_related("patient_intention").get(pk=prep.appointment.pk)
    found = selectors.intention_of(fresh)
    assert found is not None
    assert found.text == "Two"
    assert selectors.playlist_name(None) == ""
