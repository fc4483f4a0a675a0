"""Preparation, set and setting in the synthetic clinics (issue 15.2): each clinic's playlist
library, and one coming dosing session prepared in part.

Written ONLY through ``kapclinic.dosing.services`` (the one writer: checks and audit), after the
courses are on the calendar: each clinic's admin adds the playlists below (three traditions, so
patients have a real choice, R-INT-8), and the first booked dosing session after the cutoff is
opened, its patient gets the clinic's first therapist (the demo therapist in the first clinic) as
care therapist (``update_contacts``), who writes its preparation note (R-INT-3; no room check
yet, so it stays on the nurse's and the therapist's "Sessions to prepare"). A handful
of service calls a clinic: the cost stays negligible beside the ledger's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership
from kapclinic.dosing.models.setting import EyeMask, TouchConsent
from kapclinic.dosing.rules.setting import Phase, PhasePlan, Track
from kapclinic.dosing.services.playlists import add_playlist
from kapclinic.dosing.services.preparation import write_preparation_note
from kapclinic.dosing.services.sessions import open_session
from kapclinic.patients.services import CONTACT_FIELDS, update_contacts
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import SessionKind


def _phases(
    minutes: tuple[int, int, int], *tracks: tuple[tuple[str, str], ...]
) -> tuple[PhasePlan, ...]:
    return tuple(
        PhasePlan(phase, length, tuple(Track(title, artist) for title, artist in listed))
        for phase, length, listed in zip(Phase, minutes, tracks, strict=True)
    )


# name, style, description, phases. Titles and artists are text only (no audio is stored).
PLAYLISTS: Final = (
    (
        "Western classical arc",
        "Western classical",
        "Strings and piano; no lyrics until the return.",
        _phases(
            (15, 35, 25),
            (
                ("Gymnopédie No. 1", "Erik Satie"),
                ("Clair de lune", "Claude Debussy"),
            ),
            (
                ("Symphony No. 3, second movement", "Henryk Górecki"),
                ("Adagio for Strings", "Samuel Barber"),
                ("The Lark Ascending", "Ralph Vaughan Williams"),
            ),
            (
                ("Cello Suite No. 1, Prelude", "J. S. Bach"),
                ("What a Wonderful World", "Louis Armstrong"),
            ),
        ),
    ),
    (
        "Evening ragas",
        "Indian classical",
        "Bansuri, sitar and tanpura drones; no words.",
        _phases(
            (20, 30, 25),
            (("Raga Yaman, alap", "bansuri and tanpura"),),
            (
                ("Raga Darbari, jor", "sitar and tanpura"),
                ("Raga Bageshri, vilambit", "sarod"),
            ),
            (("Raga Bhairavi, dhun", "bansuri"),),
        ),
    ),
    (
        "Oud and ney",
        "Middle Eastern",
        "Maqam improvisations on oud, ney and frame drum.",
        _phases(
            (15, 35, 25),
            (("Taqsim in maqam Hijaz", "oud"),),
            (
                ("Ney meditation in maqam Rast", "ney"),
                ("Slow sama'i", "oud and qanun"),
            ),
            (("Closing taqsim in maqam Bayati", "oud"),),
        ),
    ),
    (
        "Ambient, no lyrics",
        "Ambient",
        "Soft electronic textures for patients who prefer no melody to follow.",
        _phases(
            (20, 30, 25),
            (("Drift", "demo ambient ensemble"),),
            (("Open sky", "demo ambient ensemble"), ("Tidal", "demo ambient ensemble")),
            (("Shore", "demo ambient ensemble"),),
        ),
    ),
)


@dataclass
class PreparationCounts:
    playlists: int = 0
    sessions_opened: int = 0
    notes: int = 0


def _staff(clinic: Clinic) -> dict[str, Actor]:
    found: dict[str, Actor] = {}
    for membership in (
        StaffMembership.objects.filter(clinic=clinic, is_active=True)
        .select_related("user")
        .order_by("id")
    ):
        if membership.role not in found:
            found[membership.role] = Actor.for_user(membership.user, clinic)
    return found


def add_preparation(*, clinics: list[Clinic], cutoffs: dict[int, datetime]) -> PreparationCounts:
    """Each clinic's playlists and one coming dosing session partly prepared (module doc)."""
    counts = PreparationCounts()
    for clinic in clinics:
        staff = _staff(clinic)
        admin, nurse = staff.get(Role.CLINIC_ADMIN), staff.get(Role.NURSE)
        if admin is None or nurse is None:
            continue
        now = cutoffs[clinic.pk]
        with transaction.atomic():
            for name, style, description, phases in PLAYLISTS:
                add_playlist(
                    actor=admin,
                    name=name,
                    style=style,
                    description=description,
                    phases=phases,
                    now=now,
                )
                counts.playlists += 1
            therapist = staff.get(Role.THERAPIST)
            appointment = (
                Appointment.objects.filter(
                    clinic=clinic,
                    kind=SessionKind.DOSING,
                    status=Appointment.Status.BOOKED,
                    starts_at__gt=now,
                )
                .select_related("course__protocol", "patient")
                .order_by("starts_at", "id")
                .first()
            )
            if appointment is None or therapist is None:
                continue
            session = open_session(actor=nurse, appointment=appointment, now=now)
            counts.sessions_opened += 1
            patient = appointment.patient
            if appointment.therapist_id is None and patient.care_therapist_id is None:
                values = {name: getattr(patient, name) for name in CONTACT_FIELDS}
                values["care_therapist"] = therapist.user
                update_contacts(actor=nurse, patient=patient, values=values)
            write_preparation_note(
                actor=therapist,
                session=session,
                intention="To understand why I pull away from people I love.",
                expectations="Talked through the onset, the 40-60 minutes of altered state and "
                "coming back; that feelings may be strong and pass.",
                touch_consent=TouchConsent.YES,
                preferred_playlist=None,
                music_preference="Something without words.",
                eye_mask=EyeMask.WANTS,
                support_person="Partner drives home and stays the evening.",
                now=now,
            )
            counts.notes += 1
    return counts
