"""What a session records about how its user signed in.

A signed-in session counts as fully signed in only when ``VERIFIED_KEY`` holds True: the second
step was passed (or was not needed). Every way of signing in (``django.contrib.auth.login``)
leaves a session without it, so a new login path fails closed: TwoFactorMiddleware sends it to
the second step.
"""

from __future__ import annotations

from typing import Final

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from kapclinic.accounts.credentials import is_demo_account

VERIFIED_KEY: Final = "kapclinic.auth.verified"
# How the sign-in was completed: "totp", "recovery_code", "password", "link", "demo".
METHOD_KEY: Final = "kapclinic.auth.method"
# Where to go once the second step is done (checked again before use).
NEXT_KEY: Final = "kapclinic.auth.next"
# Seconds since the epoch of the last request (staff idle timeout).
LAST_ACTIVITY_KEY: Final = "kapclinic.auth.last_activity"
# The TOTP secret being enrolled, until a code from it is confirmed.
PENDING_SECRET_KEY: Final = "kapclinic.auth.pending_totp_secret"  # noqa: S105 - a key name

DEMO_METHOD: Final = "demo"


def mark_verified(session: SessionBase, method: str) -> None:
    session[VERIFIED_KEY] = True
    session[METHOD_KEY] = method
    session.pop(PENDING_SECRET_KEY, None)


def mark_unverified(session: SessionBase) -> None:
    session[VERIFIED_KEY] = False
    session.pop(METHOD_KEY, None)


def is_verified(session: SessionBase, email: str) -> bool:
    """Fully signed in. A demo exemption holds only while the demo profile is on."""
    if session.get(VERIFIED_KEY) is not True:
        return False
    if session.get(METHOD_KEY) == DEMO_METHOD:
        return bool(settings.DEMO_MODE) and is_demo_account(email)
    return True
