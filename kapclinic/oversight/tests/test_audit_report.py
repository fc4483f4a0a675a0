from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def _body(response: object) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


def _view_charts(client: Client, patients: list[Patient]) -> None:
    for patient in patients:
        assert client.get(reverse("patients:chart", args=[patient.public_id])).status_code == 200


@pytest.fixture
def admin_client(client_for: Callable[[Role], Client]) -> Client:
    return client_for(Role.CLINIC_ADMIN)


@pytest.fixture
def home_patients(clinics: list[Clinic]) -> list[Patient]:
    return list(Patient.objects.filter(clinic=clinics[0]).order_by("id")[:3])


@pytest.fixture
def other_patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]


def test_the_report_lists_this_clinics_entries_newest_first(
    admin_client: Client,
    client_for: Callable[[Role], Client],
    home_patients: list[Patient],
    other_patient: Patient,
) -> None:
    _view_charts(client_for(Role.NURSE), home_patients)
    _view_charts(client_for(Role.PRESCRIBER), [other_patient])  # the other clinic's entry
    response = admin_client.get(reverse("audit:report"))
    assert response.status_code == 200
    entries = response.context["entries"]
    assert [e.patient_public_id for e in entries if e.action == "patients.chart_viewed"] == [
        p.public_id for p in reversed(home_patients)
    ]
    html = response.content.decode()
    for patient in home_patients:
        assert patient.mrn in html
    assert other_patient.mrn not in html


def test_filtering_by_mrn_redirects_to_the_patients_opaque_id(
    admin_client: Client, client_for: Callable[[Role], Client], home_patients: list[Patient]
) -> None:
    _view_charts(client_for(Role.NURSE), home_patients)
    target = home_patients[1]
    response = admin_client.post(reverse("audit:report"), {"patient_mrn": target.mrn})
    assert response.status_code == 302
    assert target.mrn not in response["Location"]
    assert str(target.public_id) in response["Location"]
    entries = admin_client.get(response["Location"]).context["entries"]
    assert {e.patient_public_id for e in entries} == {target.public_id}


def test_another_clinics_patient_cannot_be_reached_through_the_filters(
    admin_client: Client,
    client_for: Callable[[Role], Client],
    other_patient: Patient,
    clinics: list[Clinic],
) -> None:
    _view_charts(client_for(Role.PRESCRIBER), [other_patient])
    # The demo admin also administers the second clinic: use one who does not.
    admin = User.objects.filter(
        memberships__clinic=clinics[0], memberships__role="clinic_admin"
    ).exclude(memberships__clinic=clinics[1])[0]
    client = Client()
    client.force_login(admin)
    by_id = client.get(reverse("audit:report"), {"patient": str(other_patient.public_id)})
    assert by_id.context["page"].paginator.count == 0
    by_mrn = client.post(reverse("audit:report"), {"patient_mrn": other_patient.mrn})
    assert by_mrn.status_code == 422
    assert "No patient with MRN" in by_mrn.content.decode()
    export = client.get(reverse("audit:export"), {"patient": str(other_patient.public_id)})
    rows = list(csv.reader(io.StringIO(_body(export))))
    assert rows[1:] == []


def test_bad_filters_are_explained_not_fatal(admin_client: Client) -> None:
    response = admin_client.get(
        reverse("audit:report"), {"date_from": "2026-11-20", "date_to": "2026-11-01"}
    )
    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()
    response = admin_client.get(
        reverse("audit:report"),
        {"date_from": "yesterday", "operation": "nonsense", "user": "not-a-uuid"},
    )
    assert response.status_code == 422


def test_filters_by_user_date_and_kind(
    admin_client: Client,
    client_for: Callable[[Role], Client],
    home_patients: list[Patient],
    demo_user: Callable[[Role], User],
) -> None:
    _view_charts(client_for(Role.NURSE), home_patients[:1])
    _view_charts(client_for(Role.THERAPIST), home_patients[1:2])
    nurse = demo_user(Role.NURSE)
    entries = admin_client.get(
        reverse("audit:report"),
        {
            "user": str(nurse.public_id),
            "operation": Operation.READ,
            "action": "patients.chart_viewed",
        },
    ).context["entries"]
    assert [e.actor for e in entries] == [nurse]
    today = AuditEvent.objects.get(actor=nurse, action="patients.chart_viewed").occurred_at.date()
    tomorrow = (today + timedelta(days=2)).isoformat()
    empty = admin_client.get(reverse("audit:report"), {"date_from": tomorrow}).context["page"]
    assert empty.paginator.count == 0


def test_the_action_filter_offers_the_catalogue_by_its_labels(
    admin_client: Client, client_for: Callable[[Role], Client], home_patients: list[Patient]
) -> None:
    _view_charts(client_for(Role.NURSE), home_patients[:1])
    response = admin_client.get(
        reverse("audit:report"), {"action": PatientAuditAction.CHART_VIEWED.value}
    )
    page = response.content.decode()
    # The filter lists every catalogued action by its label, grouped by app.
    assert '<optgroup label="Patients">' in page
    assert '<option value="patients.chart_viewed" selected>Chart viewed</option>' in page
    assert '<option value="auth.login">Signed in</option>' in page
    # The table names each entry's action by its label, with the stored text beside it.
    assert [e.action for e in response.context["entries"]] == ["patients.chart_viewed"]
    assert "Chart viewed<br><small><code>patients.chart_viewed</code></small>" in page
    refused = admin_client.get(reverse("audit:report"), {"action": "chart_viewed"})
    assert refused.status_code == 422
    assert "Select a valid choice." in refused.content.decode()


def test_export_is_a_complete_csv_and_is_itself_audited(
    admin_client: Client, client_for: Callable[[Role], Client], home_patients: list[Patient]
) -> None:
    _view_charts(client_for(Role.NURSE), home_patients)
    response = admin_client.get(
        reverse("audit:export"), {"operation": Operation.READ, "action": "patients.chart_viewed"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert len(rows) == 3
    assert {r["patient_mrn"] for r in rows} == {p.mrn for p in home_patients}
    assert all(len(r["entry_hash"]) == 64 for r in rows)
    # Each clinic's entries form a chain of their own (issue 12.8): the rows name it.
    assert {r["chain"] for r in rows} == {f"clinic:{home_patients[0].clinic.public_id}"}
    export = AuditEvent.objects.get(action="audit.exported")
    assert export.operation == Operation.EXPORT
    assert export.detail["rows"] == 3


def test_viewing_the_report_is_audited_with_its_filters_and_page(
    admin_client: Client, clinics: list[Clinic]
) -> None:
    response = admin_client.get(reverse("audit:report"), {"operation": Operation.READ})
    viewed = AuditEvent.objects.get(action="audit.report_viewed")
    assert viewed.operation == Operation.READ
    assert viewed.clinic_public_id == clinics[0].public_id
    assert viewed.detail == {"filters": {"operation": "read"}, "page": 1}
    # The page was read before its own entry was written: the entry is not on it.
    assert viewed not in response.context["entries"]


def test_the_report_query_count_does_not_grow_with_entries(
    admin_client: Client, client_for: Callable[[Role], Client], home_patients: list[Patient]
) -> None:
    nurse = client_for(Role.NURSE)
    _view_charts(nurse, home_patients[:1])
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse("audit:report"))
    _view_charts(nurse, home_patients * 10)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(reverse("audit:report"))
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("time_zone", ["America/New_York", "Asia/Tokyo"])
def test_the_first_and_last_days_of_the_calendar_are_valid_filters(
    admin_client: Client, clinics: list[Clinic], time_zone: str
) -> None:
    # Once a 500: the day after 9999-12-31 does not exist, and midnight of 0001-01-01 east of
    # UTC (Tokyo) lies before the first instant a datetime can hold in UTC.
    Clinic.objects.filter(pk=clinics[0].pk).update(time_zone=time_zone)
    admin_client.get(reverse("audit:report"))  # at least one entry: this viewing
    cases = [
        ({"date_to": "9999-12-31"}, True),
        ({"date_from": "0001-01-01"}, True),
        ({"date_from": "0001-01-01", "date_to": "9999-12-31"}, True),
        ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, False),
        ({"date_from": "0001-01-01", "date_to": "0001-01-01"}, False),
    ]
    for dates, finds_entries in cases:
        report = admin_client.get(reverse("audit:report"), dates)
        assert report.status_code == 200, dates
        assert (report.context["page"].paginator.count > 0) is finds_entries, dates
        export = admin_client.get(reverse("audit:export"), dates)
        assert export.status_code == 200, dates
        assert (len(_body(export).splitlines()) > 1) is finds_entries, dates
