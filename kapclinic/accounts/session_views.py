"""The signed-in user's "This session" page: who the session is signed in as, in which clinic
and with which roles there, how the sign-in was completed and when an idle session ends.

It reads nothing but the session and what every page already has (the user and their
memberships, attached by the middleware), so ``make bench`` loads it as the signed-in floor:
the cost of any staff page before its own work (bench/scenarios.py).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapclinic.accounts.credentials import DEFAULT_IDLE_MINUTES
from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.session_state import METHOD_KEY
from kapclinic.accounts.types import ClinicRequest

# How the sign-in was completed (session_state.METHOD_KEY), in words.
SIGN_IN_METHODS = {
    "totp": "your password and a code from your authenticator app",
    "recovery_code": "your password and a recovery code",
    "password": "your password",
    "link": "a one-time sign-in link sent to your e-mail",
    "demo": "a demo login (the demo profile skips the second step)",
}


@require_GET
@requires(Capability.MANAGE_OWN_ACCOUNT)
def this_session(request: ClinicRequest) -> HttpResponse:
    method = request.session.get(METHOD_KEY)
    clinic = request.clinic
    return render(
        request,
        "accounts/this_session.html",
        {
            "method": SIGN_IN_METHODS.get(method, "") if isinstance(method, str) else "",
            "idle_minutes": clinic.idle_timeout_minutes if clinic else DEFAULT_IDLE_MINUTES,
        },
    )
