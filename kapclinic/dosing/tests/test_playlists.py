"""The clinic's playlist library through its services (issue 15.2, R-INT-8): versioned assets
with three phases, names unique among those in use, retiring; and the track lines' parsing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kapclinic.dosing.preparation import selectors
from kapclinic.dosing.rules.setting import (
    Phase,
    PhasePlan,
    parse_tracks,
    phase_problem,
    phases_as_data,
    phases_from_data,
)
from kapclinic.dosing.services.playlists import add_playlist, retire_playlist, revise_playlist
from kapclinic.dosing.services.preparation import PreparationError
from kapclinic.dosing.tests.preparing import Prep, make_prep, phases

pytestmark = pytest.mark.django_db


@pytest.fixture
def prep(demo: object) -> Prep:
    return make_prep()


def test_playlists_are_versioned_named_once_and_retired(prep: Prep) -> None:
    """R-INT-8: each edit a new version, earlier ones unchanged; an unchanged edit makes none."""
    first = add_playlist(
        actor=prep.admin, name="Arc", style="Style", description="", phases=phases(), now=prep.now
    )
    with pytest.raises(PreparationError, match="Another playlist in use has that name"):
        add_playlist(
            actor=prep.admin, name="arc", style="S", description="", phases=phases(), now=prep.now
        )
    with pytest.raises(PreparationError, match="Nothing changed"):
        revise_playlist(
            actor=prep.admin,
            playlist=first.playlist,
            name="Arc",
            style="Style",
            description="",
            phases=phases(),
            change_note="",
            now=prep.now,
        )
    second = revise_playlist(
        actor=prep.admin,
        playlist=first.playlist,
        name="Arc",
        style="Style",
        description="",
        phases=phases(peak_title="Another piece"),
        change_note="New peak",
        now=prep.now + timedelta(minutes=1),
    )
    first.refresh_from_db()
    assert first.phase_plans[1].tracks[0].title == "Peak piece"
    assert second.phase_plans[1].tracks[0].title == "Another piece"
    with pytest.raises(PreparationError, match="Only the clinic's administrators"):
        retire_playlist(actor=prep.nurse, playlist=first.playlist, now=prep.now)
    retire_playlist(actor=prep.admin, playlist=first.playlist, now=prep.now)
    assert first.playlist.pk not in {v.playlist_id for v in selectors.current_versions(prep.clinic)}
    with pytest.raises(PreparationError, match="retired"):
        revise_playlist(
            actor=prep.admin,
            playlist=first.playlist,
            name="Arc",
            style="Style",
            description="",
            phases=phases(peak_minutes=50),
            change_note="",
            now=prep.now,
        )
    with pytest.raises(PreparationError, match="three phases"):
        add_playlist(
            actor=prep.admin,
            name="Two",
            style="S",
            description="",
            phases=phases()[:2],
            now=prep.now,
        )


def test_playlist_names_styles_and_phases_are_checked(prep: Prep) -> None:
    for kwargs, message in (
        ({"name": " "}, "The name is needed"),
        ({"style": ""}, "The style is needed"),
        ({"description": "d" * 301}, "at most 300"),
        ({"phases": phases(peak_minutes=0)}, "1 to 240 minutes"),
        (
            {"phases": (*phases()[:2], PhasePlan(Phase.RETURN, 10, ()))},
            "at least one track",
        ),
    ):
        values: dict[str, object] = {
            "name": "Fine",
            "style": "Style",
            "description": "",
            "phases": phases(),
        }
        values.update(kwargs)
        with pytest.raises(PreparationError, match=message):
            add_playlist(actor=prep.admin, now=prep.now, **values)  # type: ignore[arg-type]
    version = add_playlist(
        actor=prep.admin, name="Fine", style="S", description="", phases=phases(), now=prep.now
    )
    with pytest.raises(PreparationError, match="at most 300"):
        revise_playlist(
            actor=prep.admin,
            playlist=version.playlist,
            name="Fine",
            style="S",
            description="",
            phases=phases(peak_minutes=31),
            change_note="c" * 301,
            now=prep.now,
        )


def test_tracks_are_parsed_one_a_line_and_refused_by_number() -> None:
    tracks, problem = parse_tracks("Clair de lune — Claude Debussy\n\nUntitled\nA - B - C")
    assert problem is None
    assert [(t.title, t.artist) for t in tracks] == [
        ("Clair de lune", "Claude Debussy"),
        ("Untitled", ""),
        ("A - B", "C"),
    ]
    assert parse_tracks("")[1] == "List at least one track, one a line (Title — Artist)."
    assert parse_tracks("ok\n" + "x" * 201)[1] == (
        "Track 2 is longer than 200 characters: shorten it."
    )
    assert phase_problem(0) == "A phase lasts 1 to 240 minutes."
    assert phase_problem(None) == "Give the phase's duration in minutes."
    assert phase_problem(30) is None
    plans = phases()
    assert phases_from_data(phases_as_data(tuple(reversed(plans)))) == plans
    assert [p.phase for p in plans] == list(Phase)
