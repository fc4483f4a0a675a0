"""Preparation, set and setting of a dosing session (issue 15.2): what the preparation note must
capture (R-INT-3), what a playlist version holds, and what the room check covers (§12.5,
R-INT-8). Pure functions of plain values; the services store what they accept.

R-INT-3: the preparation note captures the intention (free text, held lightly), the
expectations discussed, touch consent (yes or no where the clinic allows touch), the music
preference or playlist, the eye-mask preference and the support person for transport and home.
A missing intention never blocks dosing: it is a soft warning (``preparation_gaps``).

R-INT-8: the setting is recorded per session (eye mask, headphones or room audio, the playlist
version, lighting in words, the support person present); playlists are versioned assets with
culturally different choices. The reference found no lighting specification (§12.5, NOT FOUND):
lighting is free text, and the room check only asks that it was set as the room's routine says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Phase(StrEnum):
    """A playlist's phases, in the order they play (after Richards' onset, peak and return)."""

    ONSET = "onset"
    PEAK = "peak"
    RETURN = "return"


PHASE_LABELS: Final[dict[Phase, str]] = {
    Phase.ONSET: "Onset",
    Phase.PEAK: "Peak",
    Phase.RETURN: "Return",
}
# A phase lasts at least a minute and at most four hours; a ketamine session's altered state
# is 40-60 minutes (issue 15), so the bound only catches typing slips.
MIN_PHASE_MINUTES: Final = 1
MAX_PHASE_MINUTES: Final = 240
MAX_TRACKS_PER_PHASE: Final = 60
MAX_TRACK_CHARS: Final = 200
# "Title — Artist", "Title – Artist" or "Title - Artist": the artist is what follows the last
# dash with spaces around it; without one, the line is the title alone.
_DASH = re.compile(r"\s+[—–-]\s+")


@dataclass(frozen=True)
class Track:
    title: str
    artist: str = ""

    def as_line(self) -> str:
        return f"{self.title} — {self.artist}" if self.artist else self.title


@dataclass(frozen=True)
class PhasePlan:
    phase: Phase
    minutes: int
    tracks: tuple[Track, ...]


def parse_tracks(text: str) -> tuple[tuple[Track, ...], str | None]:
    """The tracks typed one a line ("Title — Artist"), and the problem if any (None if fine).
    Blank lines are skipped; nothing is cut short: a line too long is refused by number."""
    tracks: list[Track] = []
    lines = [line.strip() for line in text.splitlines()]
    for number, line in enumerate((line for line in lines if line), start=1):
        if len(line) > MAX_TRACK_CHARS:
            return (), f"Track {number} is longer than {MAX_TRACK_CHARS} characters: shorten it."
        parts = _DASH.split(line)
        title = " - ".join(parts[:-1]).strip() if len(parts) > 1 else line
        artist = parts[-1].strip() if len(parts) > 1 else ""
        if not title:
            return (), f"Track {number} has no title: write the title before the dash."
        tracks.append(Track(title=title, artist=artist))
    if not tracks:
        return (), "List at least one track, one a line (Title — Artist)."
    if len(tracks) > MAX_TRACKS_PER_PHASE:
        return (), f"At most {MAX_TRACKS_PER_PHASE} tracks a phase ({len(tracks)} listed)."
    return tuple(tracks), None


def phase_problem(minutes: int | None) -> str | None:
    """R-INT-8: each phase of a playlist has a duration, in whole minutes."""
    if minutes is None:
        return "Give the phase's duration in minutes."
    if not MIN_PHASE_MINUTES <= minutes <= MAX_PHASE_MINUTES:
        return f"A phase lasts {MIN_PHASE_MINUTES} to {MAX_PHASE_MINUTES} minutes."
    return None


def phases_as_data(plans: tuple[PhasePlan, ...]) -> list[dict[str, object]]:
    """The phases as stored in a playlist version (JSON), in playing order."""
    return [
        {
            "phase": plan.phase.value,
            "minutes": plan.minutes,
            "tracks": [{"title": t.title, "artist": t.artist} for t in plan.tracks],
        }
        for plan in sorted(plans, key=lambda p: list(Phase).index(p.phase))
    ]


def phases_from_data(data: object) -> tuple[PhasePlan, ...]:
    """A stored version's phases back as values (what ``phases_as_data`` wrote)."""
    plans: list[PhasePlan] = []
    for row in data if isinstance(data, list) else []:
        tracks = tuple(
            Track(title=str(t.get("title", "")), artist=str(t.get("artist", "")))
            for t in row.get("tracks", [])
        )
        plans.append(PhasePlan(Phase(row["phase"]), int(row["minutes"]), tracks))
    return tuple(plans)


# --- the preparation note (R-INT-3) ----------------------------------------------------------


@dataclass(frozen=True)
class PreparationFacts:
    """What a session's preparation holds, for the gaps shown to the care team."""

    note_written: bool
    intention: str
    patient_intention: str
    expectations: str
    touch_consent_asked: bool
    music_chosen: bool
    eye_mask_chosen: bool
    support_person: str
    room_checked: bool
    room_ready: bool


def preparation_gaps(facts: PreparationFacts) -> list[str]:
    """R-INT-3: what the preparation has not captured yet, in words. Soft warnings only: none
    of them blocks dosing (a missing intention least of all: it is held lightly)."""
    if not facts.note_written:
        gaps = [
            "No preparation note yet (intention, expectations, touch consent, music, "
            "eye mask, support person)."
        ]
    else:
        gaps = [
            text
            for missing, text in (
                (
                    not facts.intention.strip() and not facts.patient_intention.strip(),
                    "No intention yet (held lightly; it does not block dosing).",
                ),
                (not facts.expectations.strip(), "The expectations discussed are not noted."),
                (not facts.touch_consent_asked, "Touch consent was not asked."),
                (not facts.music_chosen, "No music preference or playlist."),
                (not facts.eye_mask_chosen, "No eye-mask preference."),
                (not facts.support_person.strip(), "No support person for transport and home."),
            )
            if missing
        ]
    if not facts.room_checked:
        gaps.append("The room is not checked yet.")
    elif not facts.room_ready:
        gaps.append("The room check found something missing or not working.")
    return gaps
