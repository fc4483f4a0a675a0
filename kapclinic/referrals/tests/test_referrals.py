from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.models import Patient
from kapclinic.referrals.models import Referral
from kapclinic.referrals.prescreen import QUESTIONS, assess
from kapclinic.referrals.services import MAX_REQUESTS_PER_HOUR

pytestmark = pytest.mark.django_db


def test_no_answers_raise_no_concern_and_never_a_diagnosis() -> None:
    result = assess({q.key: None for q in QUESTIONS})
    assert result.concerns == []
    assert result.may_be_worth_discussing


def test_contraindication_answers_raise_plain_concerns() -> None:
    result = assess({"adult": False, "vascular": True, "pregnant": True, "psychosis": False})
    assert len(result.concerns) == 3
    assert any("aneurysm" in c for c in result.concerns)
    assert any("adults only" in c for c in result.concerns)


def _request(home: Clinic, **extra: Any) -> dict[str, Any]:
    return {
        "action": "request",
        "clinic": home.pk,
        "given_name": "Maya",
        "family_name": "Sánchez",
        "phone": "+1 555 201 0001",
        "contact_preference": "phone",
        "consent_to_contact": "on",
        "q_adult": "yes",
        "q_pregnant": "no",
        **extra,
    }


def test_the_self_check_always_recommends_a_professional(
    client: Client, written: Callable[[type[Any]], QuerySet[Any]]
) -> None:
    page = client.post(reverse("self-check"), {"action": "check", "q_vascular": "yes"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "may not be suitable" in html
    assert "qualified mental-health professional" in html
    calm = client.post(reverse("self-check"), {"action": "check", "q_adult": "yes"})
    assert "may be worth discussing with a clinician" in calm.content.decode()
    assert "qualified mental-health professional" in calm.content.decode()
    assert not written(Referral).exists()


def test_a_request_lands_in_the_queue_and_keeps_answers_only_if_shared(
    client: Client,
    clinics: list[Clinic],
    client_for: Callable[[Role], Client],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    response = client.post(reverse("self-check"), _request(clinics[0]))
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    private = written(Referral).get()
    assert private.prescreen_answers is None
    assert len(private.sender_key) == 64
    assert "127.0.0.1" not in private.sender_key
    client.post(reverse("self-check"), _request(clinics[0], given_name="Ana", share_answers="on"))
    shared = written(Referral).get(given_name="Ana")
    assert shared.prescreen_answers == {
        **dict.fromkeys(q.key for q in QUESTIONS),
        "adult": True,
        "pregnant": False,
    }
    queue = client_for(Role.FRONT_DESK).get(reverse("referrals:queue"))
    # Oldest first: after the demo's open referrals, received earlier.
    assert list(queue.context["page"].object_list)[-2:] == [private, shared]
    assert (
        AuditEvent.objects.filter(
            action="referrals.self_submitted", operation=Operation.CREATE
        ).count()
        == 2
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"consent_to_contact": ""}, "Tick this box"),
        ({"phone": "", "contact_preference": "phone"}, "Give a phone number"),
        ({"email": "", "contact_preference": "email"}, "Give an e-mail address"),
        ({"birth_date": "2999-01-01"}, "cannot be in the future"),
        ({"clinic": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_requests_are_explained_and_not_stored(
    client: Client,
    clinics: list[Clinic],
    extra: dict[str, str],
    message: str,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    response = client.post(reverse("self-check"), _request(clinics[0], **extra))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not written(Referral).exists()


def test_requests_are_rate_limited_per_sender(
    client: Client, clinics: list[Clinic], written: Callable[[type[Any]], QuerySet[Any]]
) -> None:
    for number in range(MAX_REQUESTS_PER_HOUR):
        client.post(reverse("self-check"), _request(clinics[0], given_name=f"N{number}"))
    refused = client.post(reverse("self-check"), _request(clinics[0], given_name="Extra"))
    assert refused.status_code == 422
    assert "Too many requests" in refused.content.decode()
    assert written(Referral).count() == MAX_REQUESTS_PER_HOUR


@pytest.mark.parametrize("action", ["check", "request", "", "nonsense"])
def test_garbage_answers_are_refused_with_422_and_messages_and_nothing_is_kept(
    client: Client,
    clinics: list[Clinic],
    action: str,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    data = _request(clinics[0], action=action, q_vascular="1", share_answers="on")
    response = client.post(reverse("self-check"), data)
    html = response.content.decode()
    assert response.status_code == 422
    # A summary at the top, the message at the question, the question marked for readers.
    assert 'id="form-errors"' in html
    assert 'aria-describedby="id_q_vascular_error"' in html
    assert 'id="id_q_vascular_error"' in html
    assert "Select a valid choice" in html
    # The person's other answers and details stay in the form.
    assert 'value="Maya"' in html
    assert 'name="q_adult" value="yes" id="id_q_adult_0" checked' in html
    assert not written(Referral).exists()


def test_contact_details_typed_before_checking_the_answers_are_kept(client: Client) -> None:
    data = {"action": "check", "q_adult": "yes", "given_name": "Maya", "phone": "+1 555"}
    response = client.post(reverse("self-check"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Maya"' in html
    assert 'value="+1 555"' in html
    assert "field-error" not in html  # not asked for yet: not checked yet


def test_invalid_requests_do_not_count_toward_the_limit_but_a_limited_sender_is_told(
    client: Client, clinics: list[Clinic], written: Callable[[type[Any]], QuerySet[Any]]
) -> None:
    for _ in range(MAX_REQUESTS_PER_HOUR + 1):
        invalid = client.post(reverse("self-check"), _request(clinics[0], consent_to_contact=""))
        assert invalid.status_code == 422
        assert "Too many requests" not in invalid.content.decode()
    for number in range(MAX_REQUESTS_PER_HOUR):
        accepted = client.post(reverse("self-check"), _request(clinics[0], given_name=f"N{number}"))
        assert accepted.status_code == 200
    refused = client.post(reverse("self-check"), _request(clinics[0], consent_to_contact=""))
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "Too many requests" in html
    assert "Tick this box" in html
    assert written(Referral).count() == MAX_REQUESTS_PER_HOUR


def test_front_desk_registers_a_referral_as_a_patient(
    client: Client,
    clinics: list[Clinic],
    client_for: Callable[[Role], Client],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    client.post(reverse("self-check"), _request(clinics[0], birth_date="1990-07-04"))
    referral = written(Referral).get()
    desk = client_for(Role.FRONT_DESK)
    detail = desk.get(reverse("referrals:detail", args=[referral.public_id]))
    assert detail.status_code == 200
    response = desk.post(
        reverse("referrals:register", args=[referral.public_id]),
        {
            "given_name": "Maya",
            "family_name": "Sánchez",
            "birth_date": "1990-07-04",
            "sex": "female",
            "phone": "+1 555 201 0001",
            "email": "",
        },
    )
    patient = Patient.objects.get(family_name="Sánchez", given_name="Maya")
    assert response["Location"] == reverse("patients:chart", args=[patient.public_id])
    referral.refresh_from_db()
    assert (referral.status, referral.patient) == (Referral.Status.REGISTERED, patient)
    again = desk.post(
        reverse("referrals:register", args=[referral.public_id]),
        {
            "given_name": "Maya",
            "family_name": "Sánchez",
            "birth_date": "1990-07-04",
            "sex": "female",
        },
    )
    assert again.status_code == 422
    assert "already led to a registered patient" in again.content.decode()


def test_clinician_referrals_and_triage(
    clinics: list[Clinic],
    client_for: Callable[[Role], Client],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    nurse = client_for(Role.NURSE)
    response = nurse.post(
        reverse("referrals:new"),
        {
            "clinic": clinics[0].pk,
            "given_name": "Ken",
            "family_name": "Ito",
            "email": "ken.ito@example.org",
            "contact_preference": "email",
            "referring_clinician": "Dr. A. Example",
            "referring_contact": "+1-555-300-1234",
        },
    )
    referral = written(Referral).get(source=Referral.Source.CLINICIAN)
    assert response.status_code == 302
    assert referral.recorded_by is not None
    nurse.post(
        reverse("referrals:detail", args=[referral.public_id]),
        {"status": "declined", "note": "Active psychosis; referred to psychiatry."},
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert "psychiatry" in referral.triage_note
    open_queue = nurse.get(reverse("referrals:queue")).context["page"]
    assert referral not in open_queue.object_list


def test_another_clinics_referral_is_not_found(
    clinics: list[Clinic], client_for: Callable[[Role], Client]
) -> None:
    other = Referral.objects.create(
        clinic=clinics[1],
        source=Referral.Source.SELF,
        given_name="X",
        family_name="Y",
        phone="+15552010000",
        contact_preference="phone",
    )
    desk = client_for(Role.FRONT_DESK)  # works in the first clinic only
    assert desk.get(reverse("referrals:detail", args=[other.public_id])).status_code == 404
    assert (
        desk.post(
            reverse("referrals:detail", args=[other.public_id]), {"status": "declined"}
        ).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.status == Referral.Status.NEW


def test_a_referral_of_someone_already_registered_is_linked_to_their_record(
    client: Client,
    clinics: list[Clinic],
    client_for: Callable[[Role], Client],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    existing = Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]
    client.post(
        reverse("self-check"),
        _request(
            clinics[0],
            given_name=existing.given_name,
            family_name=existing.family_name,
            birth_date=existing.birth_date.isoformat(),
        ),
    )
    referral = written(Referral).get()
    desk = client_for(Role.FRONT_DESK)
    details = {
        "given_name": existing.given_name,
        "family_name": existing.family_name,
        "birth_date": existing.birth_date.isoformat(),
        "sex": existing.sex,
    }
    offered = desk.post(reverse("referrals:register", args=[referral.public_id]), details)
    assert offered.status_code == 422
    link = reverse("referrals:link", args=[referral.public_id])
    assert f'formaction="{link}"' in offered.content.decode()
    assert f'value="{existing.public_id}"' in offered.content.decode()

    patients_before = Patient.objects.count()
    other_clinic = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    refused = desk.post(link, {"patient": str(other_clinic.public_id)}, follow=True)
    assert "Choose one of the existing records listed" in refused.content.decode()
    assert Referral.objects.filter(pk=referral.pk, patient=None).exists()

    linked = desk.post(link, {**details, "patient": str(existing.public_id)})
    assert linked["Location"] == reverse("patients:chart", args=[existing.public_id])
    referral.refresh_from_db()
    assert (referral.status, referral.patient) == (Referral.Status.REGISTERED, existing)
    assert Patient.objects.count() == patients_before  # no second record
