"""The clinic's library of music playlists (issue 15.2, R-INT-8): versioned assets. Adding a
playlist writes its version 1; each edit writes the next version and never changes an earlier
one, so a session's setting keeps the version it used. Retiring takes a playlist out of the
choices for new sessions. Clinic admins only (MANAGE_PLAYLISTS); every write audited."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import Playlist, PlaylistVersion
from kapclinic.dosing.rules.setting import Phase, PhasePlan, phase_problem, phases_as_data
from kapclinic.dosing.services.preparation import PreparationError


def _may_manage(actor: Actor) -> None:
    if not actor.can(Capability.MANAGE_PLAYLISTS):
        msg = "Only the clinic's administrators manage its playlists."
        raise PreparationError(msg)


def _clean(
    name: str, style: str, description: str, phases: tuple[PhasePlan, ...]
) -> dict[str, object]:
    values: dict[str, object] = {
        "name": name.strip(),
        "style": style.strip(),
        "description": description.strip(),
    }
    for field, limit, what in (
        ("name", 120, "The name"),
        ("style", 60, "The style"),
        ("description", 300, "The description"),
    ):
        text = str(values[field])
        if field != "description" and not text:
            msg = f"{what} is needed."
            raise PreparationError(msg, field)
        if len(text) > limit:
            msg = f"{what} is {len(text)} characters long: at most {limit}."
            raise PreparationError(msg, field)
    found = {plan.phase for plan in phases}
    if found != set(Phase) or len(phases) != len(Phase):
        msg = "A playlist has three phases: onset, peak and return."
        raise PreparationError(msg)
    for plan in phases:
        problem = phase_problem(plan.minutes)
        if problem is not None:
            raise PreparationError(problem, f"{plan.phase.value}_minutes")
        if not plan.tracks:
            msg = "List at least one track, one a line (Title — Artist)."
            raise PreparationError(msg, f"{plan.phase.value}_tracks")
    values["phases"] = phases_as_data(phases)
    values["total_minutes"] = sum(plan.minutes for plan in phases)
    return values


def _name_taken(actor: Actor, name: str, playlist: Playlist | None) -> None:
    others = PlaylistVersion.objects.filter(
        playlist__clinic=actor.current_clinic,
        playlist__retired_at__isnull=True,
        number=F("playlist__latest_number"),
        name__iexact=name,
    )
    if playlist is not None:
        others = others.exclude(playlist=playlist)
    if others.exists():
        msg = "Another playlist in use has that name: choose another."
        raise PreparationError(msg, "name")


def _audit(
    actor: Actor, action: DosingAuditAction, playlist: Playlist, detail: dict[str, object]
) -> None:
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE
        if action == DosingAuditAction.PLAYLIST_VERSION_ADDED
        else Operation.UPDATE,
        action=action,
        actor_roles=actor.roles,
        clinic_id=actor.current_clinic.public_id,
        target=audit.target_of(playlist),
        detail=detail,
    )


def add_playlist(
    *,
    actor: Actor,
    name: str,
    style: str,
    description: str,
    phases: tuple[PhasePlan, ...],
    now: datetime,
) -> PlaylistVersion:
    """A new playlist in the actor's clinic, as its version 1."""
    _may_manage(actor)
    values = _clean(name, style, description, phases)
    with transaction.atomic():
        _name_taken(actor, str(values["name"]), None)
        playlist = Playlist.objects.create(
            clinic=actor.current_clinic, latest_number=1, created_at=now
        )
        version = PlaylistVersion.objects.create(
            playlist=playlist, number=1, created_by=actor.user, created_at=now, **values
        )
        _audit(actor, DosingAuditAction.PLAYLIST_VERSION_ADDED, playlist, {"version": 1})
    return version


def revise_playlist(
    *,
    actor: Actor,
    playlist: Playlist,
    name: str,
    style: str,
    description: str,
    phases: tuple[PhasePlan, ...],
    change_note: str,
    now: datetime,
) -> PlaylistVersion:
    """The next version of ``playlist`` (R-INT-8: earlier versions stay as they were)."""
    _may_manage(actor)
    if playlist.clinic_id != actor.current_clinic.pk:
        msg = "That playlist is not in your clinic."
        raise PreparationError(msg)
    if playlist.retired_at is not None:
        msg = "This playlist is retired: add a new one instead."
        raise PreparationError(msg)
    values = _clean(name, style, description, phases)
    note = change_note.strip()
    if len(note) > 300:
        msg = f"The note on the change is {len(note)} characters long: at most 300."
        raise PreparationError(msg, "change_note")
    with transaction.atomic():
        locked = Playlist.objects.select_for_update().get(pk=playlist.pk)
        current = PlaylistVersion.objects.get(playlist=locked, number=locked.latest_number)
        if all(getattr(current, field) == value for field, value in values.items()):
            msg = "Nothing changed: no new version was made."
            raise PreparationError(msg)
        _name_taken(actor, str(values["name"]), locked)
        locked.latest_number += 1
        locked.save(update_fields=["latest_number"])
        version = PlaylistVersion.objects.create(
            playlist=locked,
            number=locked.latest_number,
            created_by=actor.user,
            created_at=now,
            change_note=note,
            **values,
        )
        _audit(
            actor,
            DosingAuditAction.PLAYLIST_VERSION_ADDED,
            locked,
            {"version": version.number},
        )
    return version


def retire_playlist(*, actor: Actor, playlist: Playlist, now: datetime) -> Playlist:
    """Take ``playlist`` out of the choices for new sessions; sessions that used it keep it."""
    _may_manage(actor)
    if playlist.clinic_id != actor.current_clinic.pk:
        msg = "That playlist is not in your clinic."
        raise PreparationError(msg)
    if playlist.retired_at is not None:
        msg = "This playlist is already retired."
        raise PreparationError(msg)
    with transaction.atomic():
        playlist.retired_at = now
        playlist.save(update_fields=["retired_at"])
        _audit(actor, DosingAuditAction.PLAYLIST_RETIRED, playlist, {})
    return playlist
