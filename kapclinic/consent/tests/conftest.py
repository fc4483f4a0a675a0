from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.consent.demo import seed_consent_documents
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
def documents(home: Clinic, demo_user: Callable[[Role], User]) -> list[ConsentDocument]:
    return seed_consent_documents(
        clinic=home,
        published_by=demo_user(Role.CLINIC_ADMIN),
        now=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    )
