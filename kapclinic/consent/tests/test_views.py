from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.consent.models import ConsentDocument, ConsentRecord, TreatmentType
from kapclinic.consent.services import countersign, publish_document, record_patient_signature
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
RACEMIC = TreatmentType.RACEMIC_KETAMINE_OFF_LABEL


def _sign_url(patient: Patient) -> str:
    return reverse("consent:sign", args=[patient.public_id, RACEMIC])


def test_the_tablet_flow_sign_countersign_withdraw(
    client_for: Callable[[Role], Client], patient: Patient, documents: list[ConsentDocument]
) -> None:
    client = client_for(Role.THERAPIST)
    page = client.get(_sign_url(patient))
    assert page.status_code == 200
    assert "off-label" in page.content.decode()
    response = client.post(_sign_url(patient), {"typed_name": patient.full_name, "agreed": "on"})
    assert response.status_code == 302
    record = ConsentRecord.objects.get(patient=patient)
    url = reverse("consent:countersign", args=[record.public_id])
    unconfirmed = client.post(url)
    assert unconfirmed.status_code == 422
    assert "Tick the confirmation to countersign" in unconfirmed.content.decode()
    record.refresh_from_db()
    assert record.countersigned_at is None
    assert client.post(url, {"confirm": "on"}).status_code == 302
    response = client.post(reverse("consent:withdraw", args=[record.public_id]), {"reason": "x"})
    assert response.status_code == 422
    assert "at least 5 characters" in response.content.decode()
    response = client.post(
        reverse("consent:withdraw", args=[record.public_id]), {"reason": "Patient prefers not"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.countersigned_at is not None
    assert record.withdrawn_reason == "Patient prefers not"
    again = client.post(url, {"confirm": "on"})
    assert again.status_code == 422


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"typed_name": "Someone Else", "agreed": "on"}, "typed_name", "does not match"),
        ({"typed_name": "x"}, "agreed", "Tick this box"),
        ({"agreed": "on"}, "typed_name", "required"),
    ],
)
def test_a_bad_signature_is_refused_field_by_field(
    client_for: Callable[[Role], Client],
    patient: Patient,
    documents: list[ConsentDocument],
    data: dict[str, str],
    field: str,
    message: str,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    response = client_for(Role.NURSE).post(_sign_url(patient), data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert not written(ConsentRecord).exists()


def test_signing_without_a_published_document_answers_422(
    client_for: Callable[[Role], Client],
    undocumented_patient: Patient,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    response = client_for(Role.NURSE).post(
        _sign_url(undocumented_patient),
        {"typed_name": undocumented_patient.full_name, "agreed": "on"},
    )
    assert response.status_code == 422
    assert not written(ConsentRecord).exists()


def test_an_unknown_treatment_type_is_404(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    url = reverse("consent:sign", args=[patient.public_id, "nonsense"])
    assert client_for(Role.NURSE).get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.RESEARCHER, Role.CLINIC_ADMIN])
def test_roles_without_record_consent_get_403_and_change_nothing(
    client_for: Callable[[Role], Client],
    patient: Patient,
    documents: list[ConsentDocument],
    role: Role,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    client = client_for(role)
    assert client.get(reverse("consent:patient", args=[patient.public_id])).status_code == 403
    response = client.post(_sign_url(patient), {"typed_name": patient.full_name, "agreed": "on"})
    assert response.status_code == 403
    assert not written(ConsentRecord).exists()


def _foreign_patient(clinics: list[Clinic], user: User) -> Patient:
    mine = set(user.memberships.values_list("clinic_id", flat=True))
    return Patient.objects.exclude(clinic_id__in=mine).order_by("id")[0]


def test_another_clinics_patient_and_record_are_404(
    client_for: Callable[[Role], Client],
    clinics: list[Clinic],
    demo_user: Callable[[Role], User],
) -> None:
    nurse = demo_user(Role.NURSE)
    foreign = _foreign_patient(clinics, nurse)
    admin = User.objects.filter(memberships__clinic=foreign.clinic).order_by("id")[0]
    document = publish_document(
        actor=Actor(user=admin, roles=frozenset([])),
        clinic=foreign.clinic,
        treatment_type=RACEMIC,
        title="t",
        body="b",
        now=timezone.now() - timedelta(hours=1),
    )
    record = record_patient_signature(
        actor=Actor(user=admin, roles=frozenset([])),
        patient=foreign,
        document=document,
        typed_name=foreign.full_name,
        agreed=True,
        now=timezone.now(),
    )
    client = client_for(Role.NURSE)
    assert client.get(reverse("consent:patient", args=[foreign.public_id])).status_code == 404
    assert client.get(_sign_url(foreign)).status_code == 404
    assert client.post(reverse("consent:countersign", args=[record.public_id])).status_code == 404
    response = client.post(
        reverse("consent:withdraw", args=[record.public_id]), {"reason": "abcdef"}
    )
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.countersigned_at is None
    assert record.withdrawn_at is None


def test_admins_publish_new_versions_and_bad_input_is_422(
    client_for: Callable[[Role], Client],
    home: Clinic,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    url = reverse("consent:documents")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"treatment_type": "bogus", "title": "", "body": ""})
    assert bad.status_code == 422
    assert set(bad.context["form"].errors) == {"treatment_type", "title", "body"}
    assert not written(ConsentDocument).exists()
    for n in (1, 2):
        ok = client.post(url, {"treatment_type": RACEMIC, "title": f"T{n}", "body": "<b>x</b>"})
        assert ok.status_code == 302
    # Version 1 is the one the demo clinic published.
    versions = ConsentDocument.objects.filter(clinic=home, treatment_type=RACEMIC)
    assert list(versions.values_list("version", flat=True)) == [3, 2, 1]
    page = client.get(url).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page


@pytest.mark.parametrize("role", [Role.NURSE, Role.FRONT_DESK])
def test_clinical_staff_cannot_publish(
    client_for: Callable[[Role], Client], role: Role, written: Callable[[type[Any]], QuerySet[Any]]
) -> None:
    response = client_for(role).post(
        reverse("consent:documents"), {"treatment_type": RACEMIC, "title": "t", "body": "b"}
    )
    assert response.status_code == 403
    assert not written(ConsentDocument).exists()


def _signed(patient: Patient, documents: list[ConsentDocument], user: User) -> None:
    for document in documents:
        record = record_patient_signature(
            actor=Actor(user=user, roles=frozenset([])),
            patient=patient,
            document=document,
            typed_name=patient.full_name,
            agreed=True,
            now=timezone.now(),
        )
        countersign(actor=Actor(user=user, roles=frozenset([])), record=record, now=timezone.now())


def test_the_chart_section_shows_status_in_constant_queries(
    client_for: Callable[[Role], Client],
    patient: Patient,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
) -> None:
    client = client_for(Role.NURSE)
    chart = reverse("patients:chart", args=[patient.public_id])
    with CaptureQueriesContext(connection) as before:
        html = client.get(chart).content.decode()
    assert "Informed consent" in html
    assert "Not signed" in html
    _signed(patient, [d for d in documents if d.treatment_type == RACEMIC], demo_user(Role.NURSE))
    with CaptureQueriesContext(connection) as after:
        html = client.get(chart).content.decode()
    assert "Valid: version 1" in html
    assert len(after.captured_queries) == len(before.captured_queries)
    page = reverse("consent:patient", args=[patient.public_id])
    with CaptureQueriesContext(connection) as one:
        assert client.get(page).status_code == 200
    _signed(patient, [d for d in documents if d.treatment_type != RACEMIC], demo_user(Role.NURSE))
    with CaptureQueriesContext(connection) as more:
        assert client.get(page).status_code == 200
    assert len(more.captured_queries) == len(one.captured_queries)


def test_a_signature_waiting_long_for_countersignature_shows_its_age(
    client_for: Callable[[Role], Client], patient: Patient, documents: list[ConsentDocument]
) -> None:
    client = client_for(Role.NURSE)
    client.post(_sign_url(patient), {"typed_name": patient.full_name, "agreed": "on"})
    page = client.get(reverse("consent:patient", args=[patient.public_id])).content.decode()
    assert "Waiting for more than 30 days" not in page
    record = ConsentRecord.objects.get(patient=patient)
    ConsentRecord.objects.filter(pk=record.pk).update(
        patient_signed_at=record.patient_signed_at - timedelta(days=45)
    )
    page = client.get(reverse("consent:patient", args=[patient.public_id])).content.decode()
    assert "Signed by the patient 1\xa0month" in page
    assert "Waiting for more than 30 days" in page
