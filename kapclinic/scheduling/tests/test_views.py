"""Clinic → Protocols: the list, a protocol in words, publishing a new version (422 with every
problem and nothing saved; a reason required) and retiring, in the user's own clinic only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent
from kapclinic.scheduling.models import ProtocolVersion
from kapclinic.scheduling.selectors import current_protocol_version

pytestmark = pytest.mark.django_db
REASON = "Three chairs per nurse from January."


def _kap(clinic: Clinic) -> ProtocolVersion:
    version = current_protocol_version(clinic, "kap-im-sl")
    assert version is not None
    return version


def _edited(version: ProtocolVersion) -> str:
    document: dict[str, Any] = json.loads(json.dumps(version.document))
    document["session_types"][1]["resources"]["patients_per_nurse"] = 3
    return json.dumps(document)


def test_the_list_shows_each_protocol_with_its_version_and_status(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    page = client_for(Role.FRONT_DESK).get(reverse("scheduling:protocols")).content.decode()
    assert "IV racemic ketamine induction" in page
    assert "Esketamine nasal spray (Spravato, REMS)" in page  # the treatment, in words
    assert page.count("<td>Current</td>") == 5
    assert f'href="{reverse("scheduling:protocol", args=[_kap(clinics[0]).public_id])}"' in page


def test_a_protocol_reads_in_words(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    version = _kap(clinics[0])
    response = client_for(Role.NURSE).get(reverse("scheduling:protocol", args=[version.public_id]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "1 to 3 × Preparation session" in page
    assert (
        "4 to 6 × KAP dosing session, followed by integration session 1-3 days later "
        "(after every dose)" in page
    )
    assert "Weeks 1-8: at least 3 and at most 14 days apart; at most 2 a week." in page
    assert "KAP dosing session <small>Dosing · 2 h 40 min</small>" in page
    assert (
        "a treatment room with recliner, eye masks and headphones, blood-pressure monitor and "
        "pulse oximeter; a monitoring nurse for every 2 patients; a prescriber on site; "
        "a therapist with the patient" in page
    )
    assert "R-INT-1" in page
    assert "The clinic's own choices" in page
    assert "kapclinic (template)" in page
    assert "An example course" in page
    # Only admins are offered to publish.
    assert reverse("scheduling:publish", args=[version.public_id]) not in page


def test_the_admin_publishes_a_new_version_and_the_old_one_stays(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    first = _kap(clinics[0])
    url = reverse("scheduling:publish", args=[first.public_id])
    form = client.get(url)
    assert form.status_code == 200
    assert "&quot;kap-im-sl&quot;" in form.content.decode()  # the document to edit
    response = client.post(url, {"document": _edited(first), "reason": REASON})
    second = _kap(clinics[0])
    assert second.version == 2
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:protocol", args=[second.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "a monitoring nurse for every 3 patients" in page
    assert REASON in page
    old = client.get(reverse("scheduling:protocol", args=[first.public_id])).content.decode()
    assert "This is an earlier version" in old
    assert "a monitoring nurse for every 2 patients" in old


def test_a_bad_document_answers_422_with_each_problem_and_saves_nothing(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    first = _kap(clinics[0])
    document = json.loads(_edited(first))
    document["outline"][1]["integration"]["max_days_after"] = "three"
    document["spacing"]["stages"][0]["max_per_week"] = 9
    before = (ProtocolVersion.objects.count(), AuditEvent.objects.count())
    url = reverse("scheduling:publish", args=[first.public_id])
    response = client.post(url, {"document": json.dumps(document), "reason": "short"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "2 problems in the document (nothing was published)" in page
    assert (
        "outline step 2, integration: &#x27;max_days_after&#x27; must be a whole number "
        "from 0 to 366, not &#x27;three&#x27;" in page
    )
    assert "spacing stage 1: &#x27;max_per_week&#x27; must be a whole number from 1 to 7" in page
    assert "Give the reason in words, at least 10 characters" in page
    assert "&quot;three&quot;" in page  # what was typed comes back
    not_json = client.post(url, {"document": "{oops", "reason": REASON})
    assert not_json.status_code == 422
    assert "This is not valid JSON" in not_json.content.decode()
    assert (ProtocolVersion.objects.count(), AuditEvent.objects.count()) == before


def test_the_admin_retires_a_protocol_with_a_reason(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    version = _kap(clinics[0])
    url = reverse("scheduling:retire", args=[version.public_id])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 422
    response = client.post(url, {"reason": "We no longer offer sublingual KAP."})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Retired on" in page
    assert "We no longer offer sublingual KAP." in page
    assert current_protocol_version(clinics[0], "kap-im-sl") is None


def test_another_clinics_protocol_answers_404(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    other = _kap(clinics[1])
    client = client_for(Role.CLINIC_ADMIN)
    for name in ("scheduling:protocol", "scheduling:publish", "scheduling:retire"):
        assert client.get(reverse(name, args=[other.public_id])).status_code == 404


def test_the_pages_query_a_fixed_number_of_times(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.CLINIC_ADMIN)
    version = _kap(clinics[0])
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("scheduling:protocols")).status_code == 200
            assert (
                client.get(reverse("scheduling:protocol", args=[version.public_id])).status_code
                == 200
            )
        counts.append(len(queries))
        client.post(
            reverse("scheduling:publish", args=[_kap(clinics[0]).public_id]),
            {
                "document": _edited(version).replace(
                    '"patients_per_nurse": 3', '"patients_per_nurse": 4'
                ),
                "reason": REASON,
            },
        )
    assert _kap(clinics[0]).version == 2
    assert counts[0] == counts[1]
