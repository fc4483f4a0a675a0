"""Preparation, set and setting of a dosing session (issue 15.2; R-INT-3, R-INT-8).

The clinic's music playlists are versioned assets: a ``Playlist`` is the lasting identity and
each edit adds a ``PlaylistVersion`` (name, style, phases with durations and tracks); a session's
setting keeps the version it used. Per session: the ``PreparationNote`` (R-INT-3), the
``RoomCheck`` made before the patient arrives and the ``SettingRecord`` of the setting actually
used (R-INT-8). The patient's own ``PatientIntention`` hangs off the dosing appointment: they
write it in the portal before any session is opened. Only ``kapclinic.dosing.services``'
preparation and playlist modules write these rows, and audit each write.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from kapclinic.accounts.models import Clinic, Room
from kapclinic.core.models import PublicIdModel, TimeStampedModel
from kapclinic.dosing.models.sessions import DosingSession
from kapclinic.dosing.rules.setting import PHASE_LABELS, phases_from_data
from kapclinic.dosing.rules.setting import PhasePlan as PhasePlanValue
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment


class Playlist(PublicIdModel):
    """A playlist of the clinic's library; what it plays is in its versions."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    latest_number = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)  # not offered for new sessions

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Playlist {self.public_id}"


class PlaylistVersion(PublicIdModel):
    """One version of a playlist, never changed once written (R-INT-8: the session keeps the
    version it used). ``phases`` is ``rules.setting.phases_as_data``: onset, peak and return,
    each with its minutes and its tracks (title and artist)."""

    playlist = models.ForeignKey(Playlist, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    # The cultural or musical style (R-INT-8: culturally adapted variants), e.g. "Western
    # classical", "Indian classical", "Ambient, no lyrics".
    style = models.CharField(max_length=60)
    description = models.CharField(max_length=300, blank=True)
    phases = models.JSONField()
    total_minutes = models.PositiveSmallIntegerField()
    change_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["playlist_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["playlist", "number"], name="dosing_playlist_version"),
            models.CheckConstraint(condition=Q(number__gte=1), name="dosing_playlist_number_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.number})"

    @property
    def phase_plans(self) -> tuple[PhasePlanValue, ...]:
        return phases_from_data(self.phases)

    @property
    def phase_rows(self) -> list[tuple[str, PhasePlanValue]]:
        return [(PHASE_LABELS[p.phase], p) for p in self.phase_plans]


class PatientIntention(TimeStampedModel):
    """The intention the patient wrote in the portal before their dosing session (§12.5: a
    lightly held intention, not an agenda); the care team reads it with the preparation note."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="patient_intention"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="dosing_patient_intention_text"),
        ]

    def __str__(self) -> str:
        return f"Patient's intention for {self.appointment_id}"


class TouchConsent(models.TextChoices):
    """R-INT-3: consent to brief, gentle touch (wrist, shoulder), asked verbally before dosing
    (§12.5); "not offered" where the clinic does not use touch."""

    NOT_ASKED = "not_asked", "Not asked yet"
    YES = "yes", "Yes, brief gentle touch (wrist, shoulder)"
    NO = "no", "No touch"
    NOT_OFFERED = "not_offered", "Not offered (touch is not used here)"


class EyeMask(models.TextChoices):
    UNDECIDED = "undecided", "Not decided yet"
    WANTS = "wants", "Wants an eye mask"
    DECLINES = "declines", "No eye mask"


class PreparationNote(TimeStampedModel):
    """R-INT-3: the preparation note of a session, written by the therapist or nurse."""

    session = models.OneToOneField(
        DosingSession, on_delete=models.PROTECT, related_name="preparation_note"
    )
    intention = models.TextField(blank=True)  # held lightly; it may change
    expectations = models.TextField(blank=True)
    touch_consent = models.CharField(
        max_length=12, choices=TouchConsent.choices, default=TouchConsent.NOT_ASKED
    )
    preferred_playlist = models.ForeignKey(
        Playlist, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    music_preference = models.CharField(max_length=300, blank=True)
    eye_mask = models.CharField(max_length=10, choices=EyeMask.choices, default=EyeMask.UNDECIDED)
    support_person = models.CharField(max_length=200, blank=True)  # transport and home
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Preparation of {self.session_id}"


class RoomCheck(TimeStampedModel):
    """The room prepared before the patient arrives (§12.5): each item as found."""

    session = models.OneToOneField(
        DosingSession, on_delete=models.PROTECT, related_name="room_check"
    )
    recliner = models.BooleanField(default=False)
    eye_mask = models.BooleanField(default=False)
    headphones = models.BooleanField(default=False)
    lighting = models.BooleanField(default=False)
    temperature = models.BooleanField(default=False)
    monitoring_equipment = models.BooleanField(default=False)  # tested and working
    notes = models.CharField(max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField()

    ITEMS = (
        ("recliner", "Recliner set up"),
        ("eye_mask", "Eye mask ready"),
        ("headphones", "Headphones ready"),
        ("lighting", "Lighting soft and set"),
        ("temperature", "Temperature comfortable"),
        ("monitoring_equipment", "Monitoring equipment tested and working"),
    )

    def __str__(self) -> str:
        return f"Room check of {self.session_id}"

    @property
    def missing(self) -> list[str]:
        return [label for field, label in self.ITEMS if not getattr(self, field)]

    @property
    def ready(self) -> bool:
        return not self.missing


class Audio(models.TextChoices):
    HEADPHONES = "headphones", "Headphones"
    ROOM = "room", "Room speakers"
    NONE = "none", "No music"


class SettingRecord(TimeStampedModel):
    """R-INT-8: the setting actually used in the session."""

    session = models.OneToOneField(
        DosingSession, on_delete=models.PROTECT, related_name="setting_record"
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    playlist_version = models.ForeignKey(
        PlaylistVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    audio = models.CharField(max_length=10, choices=Audio.choices)
    eye_mask_used = models.BooleanField()
    lighting = models.CharField(max_length=200)  # in words (no specification found, §12.5)
    support_person_present = models.BooleanField()
    present = models.CharField(max_length=300)  # who was in the room besides the patient
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            # Music needs a playlist version; "no music" has none.
            models.CheckConstraint(
                condition=Q(audio="none", playlist_version__isnull=True)
                | (~Q(audio="none") & Q(playlist_version__isnull=False)),
                name="dosing_setting_music_has_version",
            ),
        ]

    def __str__(self) -> str:
        return f"Setting of {self.session_id}"
