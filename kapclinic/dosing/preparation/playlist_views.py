"""The clinic's playlist library (issue 15.2, R-INT-8), a clinic administration page
(MANAGE_PLAYLISTS): the playlists in use and retired, each with its phases and tracks; adding
one; editing one, which writes its next version (sessions keep the version they used);
retiring one."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.dosing.preparation import selectors
from kapclinic.dosing.preparation.forms import PlaylistForm
from kapclinic.dosing.services.playlists import add_playlist, retire_playlist, revise_playlist
from kapclinic.dosing.services.preparation import PreparationError


def _add_error(form: PlaylistForm, error: PreparationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@never_cache
@require_GET
@requires(Capability.MANAGE_PLAYLISTS)
def library(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    versions = selectors.current_versions(clinic, in_use_only=False)
    return render(
        request,
        "dosing/playlists/library.html",
        {
            "clinic": clinic,
            "in_use": [v for v in versions if v.playlist.retired_at is None],
            "retired": [v for v in versions if v.playlist.retired_at is not None],
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_PLAYLISTS)
def add(request: ClinicRequest) -> HttpResponse:
    form = PlaylistForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            version = add_playlist(
                actor=request.actor,
                name=data["name"],
                style=data["style"],
                description=data["description"],
                phases=data["phases"],
                now=timezone.now(),
            )
        except PreparationError as error:
            _add_error(form, error)
        else:
            messages.success(request, f"Playlist added: {version.name}.")
            return redirect("playlists:playlist", public_id=version.playlist.public_id)
    return render(
        request,
        "dosing/playlists/form.html",
        {"form": form, "playlist": None},
        status=422 if form.is_bound else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_PLAYLISTS)
def playlist(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """One playlist: its current version, its history, and the form that writes the next."""
    clinic = current_clinic(request)
    found = selectors.playlist_of(clinic, public_id)
    versions = selectors.versions_of(found)
    current = versions[0]
    form = PlaylistForm(
        request.POST if request.method == "POST" else None,
        initial=PlaylistForm.initial_of(current),
        with_change_note=True,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            version = revise_playlist(
                actor=request.actor,
                playlist=found,
                name=data["name"],
                style=data["style"],
                description=data["description"],
                phases=data["phases"],
                change_note=data["change_note"],
                now=timezone.now(),
            )
        except PreparationError as error:
            _add_error(form, error)
        else:
            messages.success(
                request,
                f"Saved as version {version.number}. Sessions that used an earlier version "
                "keep it.",
            )
            return redirect("playlists:playlist", public_id=found.public_id)
    return render(
        request,
        "dosing/playlists/playlist.html",
        {"playlist": found, "current": current, "versions": versions, "form": form},
        status=422 if form.is_bound else 200,
    )


@never_cache
@require_POST
@requires(Capability.MANAGE_PLAYLISTS)
def retire(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = selectors.playlist_of(current_clinic(request), public_id)
    try:
        retire_playlist(actor=request.actor, playlist=found, now=timezone.now())
    except PreparationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Playlist retired: it is no longer offered for new sessions.")
    return redirect("playlists:library")
