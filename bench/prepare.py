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


OUTCOME_ASSESSMENTS = 500


def _answers_for(target: int, items: list[str], top: int) -> dict[str, int]:
    """Answers to ``items`` (each 0..top) that sum to ``target``, spread evenly."""
    base, extra = divmod(max(0, min(target, top * len(items))), len(items))
    return {item: base + (1 if n < extra else 0) for n, item in enumerate(items)}


def _outcome_patient(user: User | None) -> str:
    """The second patient (by MRN) of the user's clinic, given a history of
    OUTCOME_ASSESSMENTS completed responses on first use (bulk-created, scored by the engine): a
    two-year course of weekly sessions with PHQ-9 and GAD-7 before each, mood before and after,
    and a monthly WHO-5."""
    import random
    from datetime import datetime, timedelta
    from uuid import UUID, uuid4

    from django.utils import timezone

    from kapclinic.measurement.instruments import get_instrument
    from kapclinic.measurement.instruments.scoring import score
    from kapclinic.measurement.models import Assessment, Mode, Occasion
    from kapclinic.patients.models import Patient

    clinic = _current_clinic(user)
    patients = Patient.objects.order_by("clinic__name", "mrn")
    if clinic is not None:
        patients = patients.filter(clinic=clinic)
    patient = patients[1:2].first()
    if patient is None:
        msg = "a bench scenario needs {outcome_patient} but the clinic has fewer than 2 patients"
        raise SystemExit(msg)
    if Assessment.objects.filter(patient=patient).count() >= OUTCOME_ASSESSMENTS:
        return str(patient.public_id)
    rng = random.Random(1)
    start = timezone.now() - timedelta(days=730)
    rows: list[Assessment] = []

    def add(code: str, target: int, at: datetime, occasion: Occasion, ref: UUID | None) -> None:
        instrument = get_instrument(code)
        items = [i.id for i in instrument.items if not i.optional and not i.enable_when]
        if code == "phq9":
            items.remove("phq9_9")  # no self-harm answers: no safety tasks in the bench data
        top = max(instrument.items[0].values)
        answers = _answers_for(target, items, top)
        if code == "phq9":
            answers["phq9_9"] = 0
        result = score(instrument, answers)
        rows.append(
            Assessment(
                patient=patient,
                clinic=patient.clinic,
                instrument_code=code,
                instrument_version=instrument.version,
                status=Assessment.Status.COMPLETED,
                mode=Mode.STAFF,
                occasion=occasion,
                session_ref=ref,
                answers=answers,
                total=result.total,
                band=result.band.code if result.band else "",
                scores={
                    "scores": dict(result.scores),
                    "band_label": result.band.label if result.band else "",
                    "rule": {"id": result.rule.id, "text": result.rule.text},
                },
                completed_at=at,
            )
        )

    week = 0
    while len(rows) < OUTCOME_ASSESSMENTS:
        session = start + timedelta(weeks=week, hours=10)
        ref = uuid4()
        # A rapid response, then partial fading and re-dosing: PHQ-9 around 20 -> 8 -> 12.
        depression = max(2, min(24, (20 if week == 0 else 8 + week % 6) + rng.randint(-2, 2)))
        add("phq9", depression, session - timedelta(hours=1), Occasion.PRE_SESSION, ref)
        add(
            "gad7",
            max(1, depression - 4 + rng.randint(-2, 2)),
            session - timedelta(minutes=55),
            Occasion.PRE_SESSION,
            ref,
        )
        mood = max(1, min(7, 3 + rng.randint(-1, 2)))
        add("mood_0_10", mood, session - timedelta(minutes=50), Occasion.PRE_SESSION, ref)
        add(
            "mood_0_10",
            min(10, mood + rng.randint(2, 4)),
            session + timedelta(hours=2),
            Occasion.POST_SESSION,
            ref,
        )
        if week % 4 == 0:
            add(
                "who5",
                max(3, 25 - depression),
                session + timedelta(days=1),
                Occasion.FOLLOW_UP,
                None,
            )
        week += 1
    Assessment.objects.bulk_create(rows[:OUTCOME_ASSESSMENTS], batch_size=500)
    return str(patient.public_id)


LEDGER_ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "100000").replace("_", ""))


def _ledger_account(user: User | None) -> str:
    """A storage account of the user's clinic holding BENCH_LEDGER_ENTRIES (100,000) entries
    over the last two years, sealed and bulk-inserted on first use (bench.ledger_data)."""
    from django.utils import timezone

    from bench.ledger_data import account_with_entries

    clinic = _current_clinic(user)
    if clinic is None:
        msg = "a bench scenario needs {ledger_account}: sign it in as a staff role"
        raise SystemExit(msg)
    return str(account_with_entries(clinic, LEDGER_ENTRIES, timezone.now()).public_id)


def _today(user: User | None) -> str:
    from django.utils import timezone

    clinic = _current_clinic(user)
    return timezone.localdate(timezone.now(), clinic.tzinfo if clinic else None).isoformat()


def _two_years_ago(user: User | None) -> str:
    from datetime import date

    today = date.fromisoformat(_today(user))
    return today.replace(year=today.year - 2, day=min(today.day, 28)).isoformat()


# Values a scenario's path or body may name as {name}. Each gets the signed-in user (None when
# anonymous) and returns the text to put in place.
RESOLVERS: dict[str, Callable[[User | None], str]] = {
    "patient": _patient,
    "outcome_patient": _outcome_patient,
    "ledger_account": _ledger_account,
    "today": _today,
    "two_years_ago": _two_years_ago,
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
