from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.consent.models import ConsentDocument
from kapclinic.patients.models import Patient

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def home(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def patient(home: Clinic) -> Patient:
    return Patient.objects.filter(clinic=home).order_by("id")[0]


@pytest.fixture
def documents(home: Clinic) -> list[ConsentDocument]:
    """Version 1 of each demo document, which the generator publishes in every clinic."""
    current = list(ConsentDocument.objects.filter(clinic=home).order_by("id"))
    assert {d.version for d in current} == {1}
    return current


@pytest.fixture
def undocumented_patient(
    home: Clinic, demo_user: Callable[[Role], User], new_patient: Callable[..., Patient]
) -> Patient:
    """A patient of a clinic that has published no consent document yet (every demo clinic has
    published its documents); the demo nurse works there too."""
    clinic = Clinic.objects.create(
        organization=home.organization,
        name="Zenith KAP Clinic",
        code="ZEN",
        address_line="1 New St",
        city=home.city,
        region=home.region,
        postal_code=home.postal_code,
        time_zone=home.time_zone,
    )
    StaffMembership.objects.create(user=demo_user(Role.NURSE), clinic=clinic, role=Role.NURSE)
    return new_patient(clinic)
