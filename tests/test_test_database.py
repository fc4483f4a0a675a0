"""The suite's database (conftest.py): the demo clinic is built once and shared, rolled back
after each test; a test that does not ask for it starts from an empty database."""

from __future__ import annotations

import pytest

from kapclinic.accounts.models import Organization
from kapclinic.audit.models import AuditEvent
from kapclinic.demo.generator import GenerationResult
from kapclinic.patients.models import Patient


@pytest.mark.django_db
def test_a_test_without_the_demo_starts_from_an_empty_database() -> None:
    assert not Organization.objects.exists()
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_test_with_the_demo_finds_exactly_what_was_generated(demo: GenerationResult) -> None:
    assert Organization.objects.count() == demo.organizations == 1
    assert Patient.objects.count() == demo.patients == 60
