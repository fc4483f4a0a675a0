"""Test wording for the licensed instruments: dummy text ("Item 1 wording (test)"), never the
licensed text itself, loaded through the one service as a clinic admin would."""

from __future__ import annotations

import json
from datetime import datetime

from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.licensing.services import load_wording
from kapclinic.measurement.models import LicensedWording

CSSRS = "cssrs_screener"


def dummy_wording(code: str, *, marker: str = "test") -> str:
    """A complete wording file for ``code``: every item "Item N wording (<marker>)", a stem,
    and a label for every answer value of the first item."""
    definition = get_instrument(code)
    first = definition.items[0]
    return json.dumps(
        {
            "stem": f"Instructions ({marker})",
            "items": {
                item.id: f"Item {n} wording ({marker})"
                for n, item in enumerate(definition.items, start=1)
            },
            "options": {first.id: {str(v): f"Answer {v} ({marker})" for v in sorted(first.values)}},
        }
    )


def clinic_admin(clinic: Clinic) -> User:
    membership = (
        StaffMembership.objects.filter(clinic=clinic, role=Role.CLINIC_ADMIN, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    assert membership is not None
    return membership.user


def load_test_wording(
    clinic: Clinic, code: str = CSSRS, *, marker: str = "test", now: datetime | None = None
) -> LicensedWording:
    """Load ``dummy_wording`` in ``clinic`` as its first admin (audited, like any load)."""
    return load_wording(
        actor=Actor(user=clinic_admin(clinic), roles=frozenset({Role.CLINIC_ADMIN})),
        clinic=clinic,
        instrument_code=code,
        raw=dummy_wording(code, marker=marker),
        licence_holder="Test Clinic LLC",
        licence_reference=f"TEST-{code}-{marker}",
        licence_confirmed=True,
        now=now or timezone.now(),
    )


def wording_in_use(clinic: Clinic, code: str = CSSRS) -> LicensedWording:
    """The clinic's wording of ``code`` in use, loaded with dummy text when there is none."""
    found = LicensedWording.objects.filter(
        clinic=clinic, instrument_code=code, status=LicensedWording.Status.IN_USE
    ).first()
    return found or load_test_wording(clinic, code)
