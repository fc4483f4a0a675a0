from __future__ import annotations

from collections.abc import Callable
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
from kapclinic.patients.models import Patient
from kapclinic.screening.facts import Finding
from kapclinic.screening.models import EligibilityDecision, FlagOverride, Screening
from kapclinic.screening.services import override_flag, record_screening
from kapclinic.screening.tests.factories import answers, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def _screening(user: User, patient: Patient, **changes: object) -> Screening:
    return record_screening(
        actor=Actor(user=user, roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=answers(**changes),
        now=timezone.now(),
    )


def test_a_nurse_records_a_screening_from_the_form_and_sees_every_rule(
    client_for: Callable[[Role], Client],
    patient: Patient,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    client = client_for(Role.NURSE)
    url = reverse("screening:new", args=[patient.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "Little interest or pleasure in doing things" in page.content.decode()
    response = client.post(url, form_data(findings_medical="glaucoma", medication_classes="opioid"))
    screening = written(Screening).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:detail", args=[screening.public_id])
    assert screening.findings == ["glaucoma"]
    assert screening.phq9_answers == [1] * 9
    detail = client.get(response["Location"]).content.decode()
    for result in screening.result:
        assert result["rule_id"] in detail
    assert "Needs prescriber review" in detail
    assert "Override with this reason" not in detail  # nurses do not override


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"weight_kg": "0"}, "weight_kg", "Weight must be between 20 and 300 kg."),
        ({"weight_kg": "700"}, "weight_kg", "Weight must be between 20 and 300 kg."),
        ({"systolic_mmhg": "400"}, "systolic_mmhg", "Systolic BP must be between 60 and 260"),
        ({"diastolic_mmhg": "20"}, "diastolic_mmhg", "Diastolic BP must be between 30 and 160"),
        ({"systolic_mmhg": "90", "diastolic_mmhg": "100"}, "systolic_mmhg", "higher than"),
        ({"diastolic_mmhg": ""}, "diastolic_mmhg", "Enter both systolic and diastolic"),
        ({"heart_rate_bpm": "300"}, "heart_rate_bpm", "Heart rate must be between"),
        ({"spo2_percent": "abc"}, "spo2_percent", "Enter spo2 as a number."),
        # A realistic typo: the message's "%" once broke Django's message formatting (a 500).
        ({"spo2_percent": "49"}, "spo2_percent", "SpO2 must be between 50 and 100 %."),
        ({"spo2_percent": "101"}, "spo2_percent", "SpO2 must be between 50 and 100 %."),
        ({"spo2_percent": "-1"}, "spo2_percent", "SpO2 must be between 50 and 100 %."),
        ({"phq9_3": ""}, "phq9_3", "Answer every PHQ-9 item, or none."),
        ({"gad7_1": "7"}, "gad7_1", "Select a valid choice"),
        ({"family": "lsd"}, "family", "Select a valid choice"),
    ],
)
def test_impossible_values_are_rejected_with_a_message_next_to_the_field(
    client_for: Callable[[Role], Client],
    patient: Patient,
    changes: dict[str, str],
    field: str,
    message: str,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    url = reverse("screening:new", args=[patient.public_id])
    response = client_for(Role.NURSE).post(url, form_data(**changes))
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert not written(Screening).exists()


def test_screening_pages_of_another_clinics_patient_answer_404(
    client_for: Callable[[Role], Client], clinics: list[Clinic], demo_user: Callable[[Role], User]
) -> None:
    other = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    screening = _screening(demo_user(Role.NURSE), other)
    client = Client()
    outsider = User.objects.create_user("outsider@example.org", "x" * 20, full_name="Out Sider")
    outsider.memberships.create(clinic=clinics[0], role=Role.PRESCRIBER)
    client.force_login(outsider)
    for url in (
        reverse("screening:new", args=[other.public_id]),
        reverse("screening:history", args=[other.public_id]),
        reverse("screening:detail", args=[screening.public_id]),
    ):
        assert client.get(url).status_code == 404
    for name in ("screening:override", "screening:sign"):
        response = client.post(reverse(name, args=[screening.public_id]), {"confirm": "on"})
        assert response.status_code == 404
    assert not FlagOverride.objects.filter(screening=screening).exists()
    assert not EligibilityDecision.objects.filter(screening=screening).exists()


def test_a_prescriber_overrides_a_flag_then_signs(
    client_for: Callable[[Role], Client],
    patient: Patient,
    demo_user: Callable[[Role], User],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    screening = _screening(demo_user(Role.NURSE), patient, findings=frozenset({Finding.GLAUCOMA}))
    client = client_for(Role.PRESCRIBER)
    override_url = reverse("screening:override", args=[screening.public_id])
    short = client.post(override_url, {"rule_id": "R-SCR-2.glaucoma", "reason": "fine"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.content.decode()
    assert 'id="id_reason_error"' in short.content.decode()
    ok = client.post(
        override_url, {"rule_id": "R-SCR-2.glaucoma", "reason": "Cleared by ophthalmology."}
    )
    assert ok.status_code == 302
    assert written(FlagOverride).count() == 1
    sign_url = reverse("screening:sign", args=[screening.public_id])
    unconfirmed = client.post(sign_url, {"notes": "x"})
    assert unconfirmed.status_code == 422
    assert "Confirm that you reviewed" in unconfirmed.content.decode()
    signed = client.post(sign_url, {"confirm": "on", "notes": "Go ahead."})
    assert signed.status_code == 302
    assert written(EligibilityDecision).get().outcome == "eligible_with_precautions"


def test_nurses_cannot_override_or_sign(
    client_for: Callable[[Role], Client],
    patient: Patient,
    demo_user: Callable[[Role], User],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    screening = _screening(demo_user(Role.NURSE), patient)
    client = client_for(Role.NURSE)
    assert client.post(reverse("screening:sign", args=[screening.public_id])).status_code == 403
    assert client.post(reverse("screening:override", args=[screening.public_id])).status_code == 403
    assert not written(EligibilityDecision).exists()


def test_the_chart_lists_screenings_in_constant_queries(
    client_for: Callable[[Role], Client], patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    client = client_for(Role.NURSE)
    chart = reverse("patients:chart", args=[patient.public_id])
    _screening(demo_user(Role.NURSE), patient)
    with CaptureQueriesContext(connection) as one:
        response = client.get(chart)
    assert "New screening" in response.content.decode()
    for _ in range(3):
        _screening(demo_user(Role.NURSE), patient)
    with CaptureQueriesContext(connection) as four:
        client.get(chart)
    assert len(four) == len(one)


def test_the_detail_page_runs_constant_queries(
    client_for: Callable[[Role], Client], patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    findings = frozenset({Finding.GLAUCOMA, Finding.RECENT_SEIZURES, Finding.RAISED_ICP})
    screening = _screening(demo_user(Role.NURSE), patient, findings=findings)
    client = client_for(Role.PRESCRIBER)
    url = reverse("screening:detail", args=[screening.public_id])
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for rule_id in ("R-SCR-2.glaucoma", "R-SCR-2.recent_seizures", "R-SCR-2.raised_icp"):
        screening = override_flag(
            actor=Actor(user=demo_user(Role.PRESCRIBER), roles=frozenset({Role.PRESCRIBER})),
            screening=screening,
            rule_id=rule_id,
            reason="Cleared by the specialist.",
            now=timezone.now(),
        )
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert "Cleared by the specialist." in response.content.decode()
    assert len(after) == len(before)


def test_the_history_page_keeps_every_screening(
    client_for: Callable[[Role], Client], patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    first = _screening(demo_user(Role.NURSE), patient, weight_kg=None)
    second = _screening(demo_user(Role.NURSE), patient)
    html = (
        client_for(Role.PRESCRIBER)
        .get(reverse("screening:history", args=[patient.public_id]))
        .content.decode()
    )
    assert str(first.public_id) in html
    assert str(second.public_id) in html


def test_the_review_page_leads_with_what_the_prescriber_decides_in_clinical_words(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _screening(demo_user(Role.NURSE), patient, systolic_mmhg=150, weight_kg=None)
    html = (
        client_for(Role.PRESCRIBER)
        .get(reverse("screening:detail", args=[screening.public_id]))
        .content.decode()
    )
    found = html.index("What this screening found")
    assert found < html.index("Recorded values") < html.index("Every rule result")
    assert html.index("Flags a prescriber decides on") > found
    assert html.index("Information still missing") > found
    assert "Override with this reason" in html[found : html.index("Recorded values")]
    # The full table sits behind a disclosure, in words rather than the engine's values.
    assert "<details>" in html[html.index("Recorded values") :]
    for internal in (">not_fired<", ">hardstop<", ">hard_stop<", ">required_data<"):
        assert internal not in html
    assert "Does not apply" in html
