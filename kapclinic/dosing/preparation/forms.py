"""The forms of preparation, set and setting and of the playlist library. Choices of rows are
public ids, given by the view from its selectors; the services decide what is accepted."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from kapclinic.accounts.models import Room
from kapclinic.dosing.models import PlaylistVersion, RoomCheck
from kapclinic.dosing.models.setting import Audio, EyeMask, TouchConsent
from kapclinic.dosing.rules.setting import (
    MAX_PHASE_MINUTES,
    MIN_PHASE_MINUTES,
    PHASE_LABELS,
    Phase,
    PhasePlan,
    parse_tracks,
)

_YES_NO = [("yes", "Yes"), ("no", "No")]


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class PreparationNoteForm(forms.Form):
    """R-INT-3: every item may stay empty for now; the page lists what is still missing."""

    intention = forms.CharField(
        label="Intention (held lightly; it may change)",
        required=False,
        max_length=4000,
        widget=_area(),
        help_text="In the patient's words: a direction, not an agenda.",
    )
    expectations = forms.CharField(
        label="Expectations discussed", required=False, max_length=4000, widget=_area()
    )
    touch_consent = forms.ChoiceField(
        label="Consent to brief, gentle touch",
        choices=TouchConsent.choices,
        initial=TouchConsent.NOT_ASKED,
        widget=forms.RadioSelect,
    )
    preferred_playlist = forms.ChoiceField(label="Preferred playlist", required=False)
    music_preference = forms.CharField(
        label="Music preference in words", required=False, max_length=300
    )
    eye_mask = forms.ChoiceField(
        label="Eye mask",
        choices=EyeMask.choices,
        initial=EyeMask.UNDECIDED,
        widget=forms.RadioSelect,
    )
    support_person = forms.CharField(
        label="Support person for transport and home",
        required=False,
        max_length=200,
        help_text="Name and relationship, e.g. 'Sam, partner'.",
    )

    def __init__(self, *args: Any, playlists: list[PlaylistVersion], **kwargs: Any) -> None:
        # Ids of their own: the page holds three forms, two of them with a "lighting" field
        # and two with an "eye_mask" one.
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["preferred_playlist"]).choices = [
            ("", "No preference")
        ] + [(str(v.playlist.public_id), f"{v.name} ({v.style})") for v in playlists]


class RoomCheckForm(forms.Form):
    notes = forms.CharField(label="Note on the room", required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "room_%s")
        super().__init__(*args, **kwargs)
        items = {
            name: forms.BooleanField(label=label, required=False) for name, label in RoomCheck.ITEMS
        }
        self.fields = {**items, **self.fields}

    def items(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name, _label in RoomCheck.ITEMS}


class SettingForm(forms.Form):
    """R-INT-8: the setting actually used."""

    room = forms.ChoiceField(label="Room")
    audio = forms.ChoiceField(label="Music", choices=Audio.choices, widget=forms.RadioSelect)
    playlist_version = forms.ChoiceField(label="Playlist played", required=False)
    eye_mask_used = forms.TypedChoiceField(
        label="Eye mask worn",
        choices=_YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    lighting = forms.CharField(
        label="Lighting",
        max_length=200,
        help_text="In words, e.g. 'lamp only, blinds down'.",
    )
    support_person_present = forms.TypedChoiceField(
        label="Support person present",
        choices=_YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    present = forms.CharField(
        label="Who else was in the room",
        max_length=300,
        help_text="Names and roles, e.g. 'nurse J. Park; therapist R. Ortiz'.",
    )

    def __init__(
        self,
        *args: Any,
        rooms: list[Room],
        versions: list[PlaylistVersion],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "setting_%s")
        super().__init__(*args, **kwargs)
        rooms_field = cast(forms.ChoiceField, self.fields["room"])
        rooms_field.choices = [(str(r.public_id), r.name) for r in rooms]
        cast(forms.ChoiceField, self.fields["playlist_version"]).choices = [
            ("", "None (no music)")
        ] + [(str(v.public_id), f"{v.name} ({v.style}), version {v.number}") for v in versions]


class PlaylistForm(forms.Form):
    """A playlist version: its name, style and the three phases with minutes and tracks."""

    name = forms.CharField(label="Name", max_length=120)
    style = forms.CharField(
        label="Style or tradition",
        max_length=60,
        help_text="So patients can choose: e.g. 'Western classical', 'Indian classical', "
        "'Ambient, no lyrics'.",
    )
    description = forms.CharField(label="Description", required=False, max_length=300)

    def __init__(self, *args: Any, with_change_note: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for phase in Phase:
            label = PHASE_LABELS[phase]
            self.fields[f"{phase.value}_minutes"] = forms.IntegerField(
                label=f"{label}: minutes",
                min_value=MIN_PHASE_MINUTES,
                max_value=MAX_PHASE_MINUTES,
            )
            self.fields[f"{phase.value}_tracks"] = forms.CharField(
                label=f"{label}: tracks, one a line (Title — Artist)",
                widget=_area(5),
                max_length=13000,
            )
        if with_change_note:
            self.fields["change_note"] = forms.CharField(
                label="What changed (for the version history)", required=False, max_length=300
            )

    def phase_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (PHASE_LABELS[p], self[f"{p.value}_minutes"], self[f"{p.value}_tracks"]) for p in Phase
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        plans = []
        for phase in Phase:
            text = data.get(f"{phase.value}_tracks")
            minutes = data.get(f"{phase.value}_minutes")
            if text is None:
                continue
            tracks, problem = parse_tracks(text)
            if problem is not None:
                self.add_error(f"{phase.value}_tracks", problem)
            elif minutes is not None:
                plans.append(PhasePlan(phase, minutes, tracks))
        data["phases"] = tuple(plans)
        return data

    @staticmethod
    def initial_of(version: PlaylistVersion) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": version.name,
            "style": version.style,
            "description": version.description,
        }
        for plan in version.phase_plans:
            initial[f"{plan.phase.value}_minutes"] = plan.minutes
            initial[f"{plan.phase.value}_tracks"] = "\n".join(t.as_line() for t in plan.tracks)
        return initial


class IntentionForm(forms.Form):
    text = forms.CharField(
        label="My intention for this session",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A few words on what you hope to explore. Hold it lightly: it may change, "
        "and your care team talks it through with you.",
    )
