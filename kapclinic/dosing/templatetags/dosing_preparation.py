"""``{% preparation_summary session as prep %}``: what the preparation panel shows of a session
(dosing/panels/preparation.html), with R-INT-3's gaps in words."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from kapclinic.dosing.models import (
    DosingSession,
    PatientIntention,
    PreparationNote,
    RoomCheck,
    SettingRecord,
)
from kapclinic.dosing.preparation import selectors

register = template.Library()


@dataclass(frozen=True)
class Summary:
    note: PreparationNote | None
    own_intention: PatientIntention | None
    room_check: RoomCheck | None
    setting: SettingRecord | None
    gaps: list[str]

    @property
    def preferred_name(self) -> str:
        """The preferred playlist's name, as its latest version has it ("" for none)."""
        return selectors.playlist_name(self.note.preferred_playlist) if self.note else ""


@register.simple_tag
def preparation_summary(session: DosingSession) -> Summary:
    return Summary(
        note=selectors.note_of(session),
        own_intention=selectors.patient_intention_of(session),
        room_check=selectors.room_check_of(session),
        setting=selectors.setting_of(session),
        gaps=selectors.gaps_of(session),
    )
