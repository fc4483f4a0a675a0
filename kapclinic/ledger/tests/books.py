"""Helpers of the books' page tests: a client signed in as a stock fixture's actor, in its
clinic."""

from __future__ import annotations

from django.test import Client

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.middleware import SESSION_CLINIC_KEY


def client_for(actor: Actor) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(actor.user)
    session = client.session
    session[SESSION_CLINIC_KEY] = str(actor.current_clinic.public_id)
    session.save()
    return client
