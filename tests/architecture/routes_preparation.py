"""One real request per route of a dosing session's preparation (issue 15.2) and of the
playlist library, for the route-by-role tests."""

from __future__ import annotations

from uuid import uuid4

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.dosing.models import DosingSession, Playlist
from tests.architecture.routing import Call, World


def preparation_routes(world: World) -> dict[str, Call]:
    # The demo opens one coming dosing session in each clinic (kapclinic.demo.preparation).
    session = (
        DosingSession.objects.filter(clinic=world.home)
        .select_related("appointment")
        .order_by("id")
        .first()
    )
    playlist = Playlist.objects.filter(clinic=world.home).order_by("id").first()
    assert session is not None
    assert playlist is not None
    sid = session.public_id
    return {
        "dosing:preparation": Call(
            "GET", reverse("dosing:preparation", args=[sid]), Capability.PREPARE_SESSIONS
        ),
        # No choices posted: the form answers with its errors.
        "dosing:preparation-note": Call(
            "POST",
            reverse("dosing:preparation-note", args=[sid]),
            Capability.PREPARE_SESSIONS,
            ok=frozenset({422}),
        ),
        # Nothing ticked: the room check records every item as not ready, back to the page.
        "dosing:preparation-room": Call(
            "POST",
            reverse("dosing:preparation-room", args=[sid]),
            Capability.PREPARE_SESSIONS,
            ok=frozenset({302}),
        ),
        "dosing:preparation-setting": Call(
            "POST",
            reverse("dosing:preparation-setting", args=[sid]),
            Capability.PREPARE_SESSIONS,
            ok=frozenset({422}),
        ),
        # The session is open already: on to its page.
        "dosing:prepare-appointment": Call(
            "GET",
            reverse("dosing:prepare-appointment", args=[session.appointment.public_id]),
            Capability.PREPARE_SESSIONS,
            ok=frozenset({302}),
        ),
        "playlists:library": Call("GET", reverse("playlists:library"), Capability.MANAGE_PLAYLISTS),
        "playlists:add": Call("GET", reverse("playlists:add"), Capability.MANAGE_PLAYLISTS),
        "playlists:playlist": Call(
            "GET",
            reverse("playlists:playlist", args=[playlist.public_id]),
            Capability.MANAGE_PLAYLISTS,
        ),
        "playlists:retire": Call(
            "POST",
            reverse("playlists:retire", args=[playlist.public_id]),
            Capability.MANAGE_PLAYLISTS,
            ok=frozenset({302}),
        ),
        # Someone else's (here: no) session answers 404 to the patient.
        "portal:intention": Call(
            "GET",
            reverse("portal:intention", args=[uuid4()]),
            Capability.WRITE_OWN_INTENTION,
            ok=frozenset({404}),
        ),
    }
