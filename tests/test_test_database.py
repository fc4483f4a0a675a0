"""The suite's database (conftest.py): the demo clinic is built once and shared, rolled back
after each test; a test that does not ask for it starts from an empty database."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from conftest import run_order
from kapclinic.accounts.models import Clinic, Organization
from kapclinic.audit.models import AuditEvent
from kapclinic.audit.services import AUDIT_TRAIL
from kapclinic.audit.verification import verify_trail
from kapclinic.demo.generator import GenerationResult, add_new_patient, generate_clinic
from kapclinic.patients.models import Patient
from tests.snapshots import DatabaseSnapshot


@pytest.mark.django_db
def test_a_test_without_the_demo_starts_from_an_empty_database() -> None:
    assert not Organization.objects.exists()
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_test_with_the_demo_finds_exactly_what_was_generated(demo: GenerationResult) -> None:
    assert Organization.objects.count() == demo.organizations == 1
    assert Patient.objects.count() == demo.patients == 60


def _rows_by_table() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 (catalogue names)
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_a_copied_clinic_comes_back_whole_after_a_flush() -> None:
    """tests/snapshots.py: every table's rows, the audit chain intact and its append-only
    trigger still in force after the copy is put back."""
    generate_clinic(patients=6, seed=3, today=date(2026, 11, 25))
    before = _rows_by_table()
    assert before["patients_patient"] == 6
    snapshot = DatabaseSnapshot.take("check")
    call_command("flush", interactive=False, verbosity=0)
    assert not Patient.objects.exists()
    snapshot.restore()
    assert _rows_by_table() == before
    assert verify_trail(AUDIT_TRAIL).ok
    event = AuditEvent.objects.order_by("id").first()
    assert event is not None
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{table}" SET action = %s WHERE id = %s', ["x", event.pk])  # noqa: S608
    # New rows continue after the copied ones, as after the original build.
    new = add_new_patient(clinic=Clinic.objects.order_by("id")[0], seed=5, today=date(2026, 11, 25))
    assert new.pk > max(Patient.objects.exclude(pk=new.pk).values_list("pk", flat=True))


def test_transactional_tests_run_after_every_test_in_a_transaction(
    request: pytest.FixtureRequest,
) -> None:
    """conftest.run_order: once a transactional test has emptied the database, no test that runs
    inside a transaction follows (it would have to build the demo again)."""
    order = [run_order(item) for item in request.session.items]
    first_transactional = next((i for i, (tx, _) in enumerate(order) if tx), len(order))
    assert not any(tx is False for tx, _ in order[first_transactional:])
    assert order == sorted(order)
