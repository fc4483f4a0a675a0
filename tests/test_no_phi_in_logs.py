"""No protected health information in logs: names, birth dates, MRNs and e-mail addresses of
patients never appear in what the app logs while staff work with their records."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_working_with_patients_logs_no_patient_details(
    client_for: Callable[[Role], Client], clinics: list[Clinic], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mine = Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]
    theirs = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    client = Client(raise_request_exception=False)
    nurse = client_for(Role.NURSE)
    nurse.get(reverse("patients:chart", args=[mine.public_id]))
    nurse.get(reverse("patients:chart", args=[theirs.public_id]))  # 404
    nurse.get(reverse("patients:chart", args=[uuid.uuid4()]))  # 404
    nurse.get("/api/v1/patients")
    nurse.post(reverse("audit:report"), {"patient_mrn": mine.mrn})  # 403 for a nurse
    client.post(
        reverse("accounts:login"),
        {"username": mine.email or "x@example.org", "password": "wrong-password-123"},
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records  # the 404s and the 403 were logged
    for patient in (mine, theirs):
        for detail in (patient.family_name, patient.mrn, patient.birth_date.isoformat()):
            assert detail not in logged
        if patient.email:
            assert patient.email not in logged
