"""Shapes shared by the route-by-role tests (test_permission_matrix.py, test_bad_input.py) and
the per-app route lists (routes_*.py)."""

from __future__ import annotations

from dataclasses import dataclass

from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability
from kapclinic.patients.models import Patient


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    capability: Capability
    data: dict[str, str] | None = None
    ok: frozenset[int] = frozenset({200})
    json: dict[str, object] | None = None  # sent as a JSON body (API writes) instead of data


@dataclass(frozen=True)
class World:
    home: Clinic
    patient: Patient
