"""Dosing's reads for pages: a session of the user's clinic, by its public id."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404

from kapclinic.accounts.models import Clinic
from kapclinic.dosing.models import DosingSession


def session_of(clinic: Clinic, public_id: UUID) -> DosingSession:
    """The session with ``public_id`` in ``clinic`` (404 otherwise), with what its pages show."""
    found = (
        DosingSession.objects.filter(clinic=clinic, public_id=public_id)
        .select_related("clinic", "patient", "appointment__course__protocol", "appointment__room")
        .first()
    )
    if found is None:
        raise Http404
    return found
