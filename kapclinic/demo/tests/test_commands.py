from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kapclinic.accounts.models import Clinic, Organization
from kapclinic.consent.models import ConsentDocument
from kapclinic.demo.generator import DEMO_PASSWORD, DEMO_PATIENT_LOGIN
from kapclinic.measurement.models import Assignment
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_generate_demo_builds_the_clinic_and_prints_the_logins() -> None:
    out = StringIO()
    call_command(
        "generate_demo", "--patients", "25", "--seed", "4", "--today", "2026-11-25", stdout=out
    )
    assert Patient.objects.count() == 25
    # Every clinic can take consent from day one: one current document per treatment type.
    for clinic in Clinic.objects.all():
        assert ConsentDocument.objects.filter(clinic=clinic).count() == 4
    text = out.getvalue()
    assert "25 patients" in text
    assert DEMO_PASSWORD in text
    assert "admin@demo.kapclinic.test" in text
    # The portal's demo patient has their baseline questionnaires due on their page.
    portal = Patient.objects.get(portal_user__email=DEMO_PATIENT_LOGIN)
    due = Assignment.objects.filter(patient=portal, status=Assignment.Status.OPEN)
    assert {a.instrument_code for a in due} >= {"phq9", "gad7"}


def test_if_empty_leaves_existing_data_alone() -> None:
    call_command("generate_demo", "--patients", "5", stdout=StringIO())
    out = StringIO()
    call_command("generate_demo", "--patients", "50", "--if-empty", stdout=out)
    assert Patient.objects.count() == 5
    assert Organization.objects.count() == 1
    assert "was not loaded again" in out.getvalue()


def test_generating_twice_is_refused_with_a_clear_message() -> None:
    call_command("generate_demo", "--patients", "5", stdout=StringIO())
    with pytest.raises(CommandError, match="already holds an organisation"):
        call_command("generate_demo", "--patients", "5", stdout=StringIO())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients", "-3"], "--patients must be between"),
        (["--today", "25/11/2026"], "--today must be a date"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_bad_arguments_are_explained(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("generate_demo", *args, stdout=StringIO())
    assert not Organization.objects.exists()
