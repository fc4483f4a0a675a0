"""Clinic → Instruments: the clinic admin loads a licensed wording (file or pasted JSON) and
retires it, in their own clinic only; a refused file is answered item by item and nothing is
saved (issue 11.2)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import LicensedWording
from kapclinic.measurement.tests.wording import CSSRS, dummy_wording, load_test_wording

pytestmark = pytest.mark.django_db
INSTRUMENT = reverse("administration:instrument", args=[CSSRS])
LICENCE = {
    "licence_holder": "Harborview KAP Clinic LLC",
    "licence_reference": "Clario sub-licence 2026-114",
    "licence_confirmed": "on",
}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _admin(clinic: Clinic) -> tuple[Client, User]:
    admin = staff_of(clinic, Role.CLINIC_ADMIN)
    return _client(admin), admin


def test_the_list_names_every_licence_and_the_wording_loaded_here(
    clinics: list[Clinic],
) -> None:
    client, _admin_user = _admin(clinics[0])
    page = client.get(reverse("administration:instruments")).content.decode()
    assert "Licence not found: kapclinic found no licence for it" in page
    assert "Public domain: its wording ships with kapclinic." in page
    assert "Not loaded</strong>: staff cannot give it here." in page
    assert f'href="{INSTRUMENT}"' in page
    load_test_wording(clinics[0])
    page = client.get(reverse("administration:instruments")).content.decode()
    assert "TEST-cssrs_screener-test" in page


def test_the_admin_uploads_a_wording_file_and_staff_can_give_it(clinics: list[Clinic]) -> None:
    client, admin = _admin(clinics[0])
    upload = SimpleUploadedFile(
        "cssrs.json", dummy_wording(CSSRS).encode(), content_type="application/json"
    )
    response = client.post(INSTRUMENT, {**LICENCE, "wording_file": upload})
    assert response.status_code == 302
    assert response["Location"] == INSTRUMENT
    wording = LicensedWording.objects.get(clinic=clinics[0])
    assert (wording.loaded_by, wording.licence_reference) == (admin, LICENCE["licence_reference"])
    page = client.get(INSTRUMENT).content.decode()
    assert "staff can now give it in this clinic" in page
    assert "Item 1 wording (test)" in page  # the preview of the wording in use
    assert reverse("administration:wording-retire", args=[wording.public_id]) in page
    assert AuditEvent.objects.filter(action="measurement.licensed_wording_loaded").count() == 1


def test_pasted_json_loads_too(clinics: list[Clinic]) -> None:
    client, _admin_user = _admin(clinics[0])
    response = client.post(INSTRUMENT, {**LICENCE, "wording_text": dummy_wording(CSSRS)})
    assert response.status_code == 302
    assert LicensedWording.objects.filter(clinic=clinics[0]).count() == 1


def test_a_bad_file_is_answered_item_by_item_and_nothing_is_saved(clinics: list[Clinic]) -> None:
    client, _admin_user = _admin(clinics[0])
    data = json.loads(dummy_wording(CSSRS))
    del data["items"]["cssrs_2"]
    data["items"]["cssrs_9"] = "Not an item"
    response = client.post(INSTRUMENT, {**LICENCE, "wording_text": json.dumps(data)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "2 problem(s) to fix in the file" in page
    assert "<code>cssrs_2</code>: no text (Non-specific active suicidal thoughts)." in page
    assert "<code>cssrs_9</code>: no such item in cssrs_screener version 1." in page
    assert not LicensedWording.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="measurement.licensed").exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Upload the wording file or paste its JSON."),
        ({"wording_text": "{"}, "The file is not valid JSON"),
        ({"licence_confirmed": ""}, "Confirm the clinic&#x27;s licence"),
        ({"licence_holder": ""}, "Give the licence holder."),
        ({"licence_reference": "\u202e" * 3}, "Give the licence or agreement reference."),
    ],
)
def test_a_refused_form_keeps_what_was_typed_and_saves_nothing(
    clinics: list[Clinic], form: dict[str, str], message: str
) -> None:
    client, _admin_user = _admin(clinics[0])
    data = {**LICENCE, "wording_text": dummy_wording(CSSRS), **form}
    if not form:
        del data["wording_text"]
    response = client.post(INSTRUMENT, {k: v for k, v in data.items() if v != ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    if "licence_holder" not in form:
        assert LICENCE["licence_holder"] in page
    assert not LicensedWording.objects.exists()


def test_both_a_file_and_pasted_json_are_refused(clinics: list[Clinic]) -> None:
    client, _admin_user = _admin(clinics[0])
    upload = SimpleUploadedFile("cssrs.json", dummy_wording(CSSRS).encode())
    response = client.post(
        INSTRUMENT, {**LICENCE, "wording_file": upload, "wording_text": dummy_wording(CSSRS)}
    )
    assert response.status_code == 422
    assert "not both" in response.content.decode()


def test_a_file_that_is_not_utf8_is_refused(clinics: list[Clinic]) -> None:
    client, _admin_user = _admin(clinics[0])
    upload = SimpleUploadedFile("cssrs.json", b"\xff\xfe{\x00")
    response = client.post(INSTRUMENT, {**LICENCE, "wording_file": upload})
    assert response.status_code == 422
    assert "not UTF-8" in response.content.decode()


def test_an_instrument_that_ships_its_wording_has_nothing_to_load(clinics: list[Clinic]) -> None:
    client, _admin_user = _admin(clinics[0])
    url = reverse("administration:instrument", args=["phq9"])
    assert "there is nothing to load" in client.get(url).content.decode()
    refused = client.post(url, {**LICENCE, "wording_text": dummy_wording(CSSRS)})
    assert refused.status_code == 422
    assert not LicensedWording.objects.exists()


def test_the_admin_retires_a_wording_with_a_reason(clinics: list[Clinic]) -> None:
    wording = load_test_wording(clinics[0])
    client, admin = _admin(clinics[0])
    url = reverse("administration:wording-retire", args=[wording.public_id])
    assert "Retire the wording of C-SSRS Screener" in client.get(url).content.decode()
    short = client.post(url, {"reason": "ended"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.content.decode()
    done = client.post(url, {"reason": "The licence ended this month."})
    assert done["Location"] == INSTRUMENT
    wording.refresh_from_db()
    assert (wording.status, wording.ended_by) == (LicensedWording.Status.RETIRED, admin)
    page = client.get(INSTRUMENT).content.decode()
    assert "Retired on" in page
    assert "The licence ended this month." in page
    again = client.get(url).content.decode()
    assert "there is nothing to retire" in again


def test_only_clinic_admins_reach_the_pages(clinics: list[Clinic]) -> None:
    wording = load_test_wording(clinics[0])
    urls = [
        reverse("administration:instruments"),
        INSTRUMENT,
        reverse("administration:wording-retire", args=[wording.public_id]),
    ]
    for role in (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.FRONT_DESK):
        client = _client(staff_of(clinics[0], role))
        assert [client.get(url).status_code for url in urls] == [403, 403, 403]
        assert client.post(urls[1], {**LICENCE, "wording_text": "{}"}).status_code == 403
        assert client.post(urls[2], {"reason": "The licence ended."}).status_code == 403
    wording.refresh_from_db()
    assert wording.status == LicensedWording.Status.IN_USE
    assert LicensedWording.objects.count() == 1


def test_another_clinics_wording_and_an_unknown_instrument_are_not_found(
    clinics: list[Clinic],
) -> None:
    theirs = load_test_wording(clinics[1])
    client, _admin_user = _admin(clinics[0])
    retire = reverse("administration:wording-retire", args=[theirs.public_id])
    assert client.get(retire).status_code == 404
    assert client.post(retire, {"reason": "Not ours to retire at all."}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == LicensedWording.Status.IN_USE
    unknown = reverse("administration:instrument", args=["no_such_instrument"])
    assert client.get(unknown).status_code == 404
    # Their load is not shown in this clinic.
    assert "TEST-cssrs_screener-test" not in client.get(INSTRUMENT).content.decode()


def test_the_pages_run_a_fixed_number_of_queries(clinics: list[Clinic]) -> None:
    client, _admin_user = _admin(clinics[0])
    client.get(reverse("administration:instruments"))  # warm the session and caches
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("administration:instruments"))
        client.get(INSTRUMENT)
    for marker in ("one", "two", "three"):
        load_test_wording(clinics[0], marker=marker)
        load_test_wording(clinics[0], "madrs", marker=marker)
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("administration:instruments"))
        client.get(INSTRUMENT)
    assert len(after) == len(before)
