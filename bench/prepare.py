"""The Django side of the benchmark, run as ``python -m bench.prepare`` in the server's environment.

It reads a JSON request on stdin and writes a JSON answer on stdout:

    in:  {"roles": {"clinic_admin": ["patient"], "": []}}   role ("" = anonymous) -> placeholders
    out: {"organizations": 1, "patients": 100000,
          "session_cookie": "sessionid", "csrf_cookie": "csrftoken", "csrf_header": "X-CSRFTOKEN",
          "roles": {"clinic_admin": {"session": "<key>", "values": {"patient": "<uuid>"}},
                    "": {"session": null, "values": {}}}}

With ``{"roles": {}}`` it only counts the data (run.py uses that to decide whether an existing
database can be reused). Sessions are created in the session store exactly as
django.contrib.auth.login() would, so signed-in scenarios never go through the login form (whose
PBKDF2 check is deliberately slow and not what a page benchmark measures) nor through the
second sign-in step: the session is marked verified as after an authenticator code.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

import django

if TYPE_CHECKING:
    from kapclinic.accounts.models import Clinic, User


def _user_for(role: str) -> User:
    from kapclinic.accounts.models import Role, User
    from kapclinic.demo.generator import DEMO_LOGINS

    if "@" in role:
        email = role
    else:
        try:
            email = DEMO_LOGINS[Role(role)][0]
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            msg = f"unknown role {role!r} in a bench scenario (one of: {roles}, or an e-mail)"
            raise SystemExit(msg) from None
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        msg = f"no active user {email!r} in the bench database (was the generator run?)"
        raise SystemExit(msg)
    return user


def _session_for(user: User) -> str:
    """A session as a completed staff sign-in leaves it: password, then the authenticator code
    (session_state.mark_verified with "totp"), and activity just now (idle timeout)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from kapclinic.accounts.session_state import LAST_ACTIVITY_KEY, mark_verified

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    mark_verified(store, "totp")
    store[LAST_ACTIVITY_KEY] = int(time.time())
    store.save()
    key: str = store.session_key
    return key


def _current_clinic(user: User | None) -> Clinic | None:
    """The clinic ClinicMiddleware picks for a fresh session (none chosen yet)."""
    from kapclinic.accounts.middleware import choose_clinic
    from kapclinic.accounts.selectors import list_active_memberships

    if user is None:
        return None
    return choose_clinic(list_active_memberships(user), None)


def _patient(user: User | None) -> str:
    """A patient of the user's current clinic (of any clinic when anonymous): the first MRN."""
    from kapclinic.patients.models import Patient

    patients = Patient.objects.order_by("clinic__name", "mrn")
    clinic = _current_clinic(user)
    if clinic is not None:
        patients = patients.filter(clinic=clinic)
    patient = patients.first()
    if patient is None:
        msg = "a bench scenario needs {patient} but the bench database has no patients"
        raise SystemExit(msg)
    return str(patient.public_id)


# Values a scenario's path or body may name as {name}. Each gets the signed-in user (None when
# anonymous) and returns the text to put in place.
RESOLVERS: dict[str, Callable[[User | None], str]] = {
    "patient": _patient,
}


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings

    from kapclinic.accounts.models import Organization
    from kapclinic.patients.models import Patient

    roles: dict[str, Any] = {}
    for role, names in request.get("roles", {}).items():
        user = _user_for(role) if role else None
        values: dict[str, str] = {}
        for name in names:
            if name not in RESOLVERS:
                known = ", ".join(sorted(RESOLVERS))
                msg = f"a bench scenario names {{{name}}}; bench.prepare knows only: {known}"
                raise SystemExit(msg)
            values[name] = RESOLVERS[name](user)
        roles[role] = {"session": _session_for(user) if user else None, "values": values}
    return {
        "organizations": Organization.objects.count(),
        "patients": Patient.objects.count(),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "csrf_header": settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-"),
        "roles": roles,
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    json.dump(_answer(json.load(sys.stdin)), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
