from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import QuerySet

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.consent.exceptions import ConsentError
from kapclinic.consent.models import (
    ConsentDocument,
    ConsentRecord,
    ConsentStatusCode,
    TreatmentType,
)
from kapclinic.consent.selectors import consent_overview, consent_status
from kapclinic.consent.services import (
    countersign,
    publish_document,
    record_patient_signature,
    withdraw,
)
from kapclinic.consent.tests.conftest import NOW
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
RACEMIC = TreatmentType.RACEMIC_KETAMINE_OFF_LABEL


def _doc(documents: list[ConsentDocument], kind: TreatmentType) -> ConsentDocument:
    return next(d for d in documents if d.treatment_type == kind)


def _sign(patient: Patient, document: ConsentDocument, user: User, **kw: object) -> ConsentRecord:
    args: dict[str, object] = {
        "typed_name": patient.full_name,
        "agreed": True,
        "now": NOW,
    }
    args.update(kw)
    return record_patient_signature(
        actor=Actor(user=user, roles=frozenset({Role.NURSE})),
        patient=patient,
        document=document,
        **args,  # type: ignore[arg-type]
    )


def test_publishing_numbers_versions_and_keeps_the_old_ones(
    home: Clinic, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    admin = demo_user(Role.CLINIC_ADMIN)
    assert {d.version for d in documents} == {1}
    second = publish_document(
        actor=Actor(user=admin, roles=frozenset({Role.CLINIC_ADMIN})),
        clinic=home,
        treatment_type=RACEMIC,
        title="v2",
        body="New text",
        now=NOW,
    )
    assert second.version == 2
    assert ConsentDocument.objects.filter(clinic=home, treatment_type=RACEMIC).count() == 2
    event = AuditEvent.objects.get(
        action="consent.document_published", target__endswith=str(second.public_id)
    )
    assert event.detail["version"] == 2


def test_publishing_refuses_an_empty_text(
    home: Clinic, demo_user: Callable[[Role], User], written: Callable[[type[Any]], QuerySet[Any]]
) -> None:
    with pytest.raises(ConsentError) as error:
        publish_document(
            actor=Actor(user=demo_user(Role.CLINIC_ADMIN), roles=frozenset([])),
            clinic=home,
            treatment_type=RACEMIC,
            title="T",
            body="   ",
            now=NOW,
        )
    assert error.value.field == "body"
    assert not written(ConsentDocument).exists()


@pytest.mark.parametrize(
    "transform", [str.upper, str.lower, lambda n: " ".join(reversed(n.split()))]
)
def test_the_typed_name_matches_case_and_order_insensitively(
    patient: Patient,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
    transform: Callable[[str], str],
) -> None:
    record = _sign(
        patient,
        _doc(documents, RACEMIC),
        demo_user(Role.NURSE),
        typed_name=transform(patient.full_name),
    )
    assert record.status_against(1) == ConsentStatusCode.AWAITING_COUNTERSIGNATURE


def test_the_typed_name_matches_without_accents(
    home: Clinic,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
    new_patient: Callable[..., Patient],
) -> None:
    zoe = new_patient(home, given_name="Zoë", family_name="Nguyễn")
    record = _sign(zoe, _doc(documents, RACEMIC), demo_user(Role.NURSE), typed_name="zoe NGUYEN")
    assert record.patient_typed_name == "zoe NGUYEN"
    assert record.status_against(1) == ConsentStatusCode.AWAITING_COUNTERSIGNATURE
    assert ConsentRecord.objects.get(patient=zoe) == record


def test_a_wrong_name_is_refused_with_a_clear_message(
    patient: Patient,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    with pytest.raises(ConsentError) as error:
        _sign(patient, _doc(documents, RACEMIC), demo_user(Role.NURSE), typed_name="Somebody Else")
    assert error.value.field == "typed_name"
    assert "does not match" in error.value.message
    assert not written(ConsentRecord).exists()


def test_the_box_must_be_ticked(
    patient: Patient,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    with pytest.raises(ConsentError) as error:
        _sign(patient, _doc(documents, RACEMIC), demo_user(Role.NURSE), agreed=False)
    assert error.value.field == "agreed"
    assert not written(ConsentRecord).exists()


def test_a_superseded_version_or_another_clinics_document_cannot_be_signed(
    patient: Patient,
    documents: list[ConsentDocument],
    clinics: list[Clinic],
    demo_user: Callable[[Role], User],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    admin, nurse = demo_user(Role.CLINIC_ADMIN), demo_user(Role.NURSE)
    old = _doc(documents, RACEMIC)
    publish_document(
        actor=Actor(user=admin, roles=frozenset([])),
        clinic=patient.clinic,
        treatment_type=RACEMIC,
        title="v2",
        body="b",
        now=NOW,
    )
    with pytest.raises(ConsentError, match="Version 2"):
        _sign(patient, old, nurse)
    foreign = publish_document(
        actor=Actor(user=admin, roles=frozenset([])),
        clinic=clinics[1],
        treatment_type=RACEMIC,
        title="t",
        body="b",
        now=NOW,
    )
    with pytest.raises(ConsentError, match="another clinic"):
        _sign(patient, foreign, nurse)
    assert not written(ConsentRecord).exists()


def test_signing_twice_is_refused(
    patient: Patient,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    first = _sign(patient, _doc(documents, RACEMIC), demo_user(Role.NURSE))
    with pytest.raises(ConsentError, match="already signed"):
        _sign(patient, _doc(documents, RACEMIC), demo_user(Role.NURSE))
    assert list(written(ConsentRecord)) == [first]


def test_sign_countersign_withdraw_and_their_audit(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    record = _sign(patient, _doc(documents, RACEMIC), nurse)
    status = consent_status(patient, RACEMIC, now=NOW)
    assert not status.valid
    assert status.reason == "Awaiting staff countersignature."
    countersign(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
        record=record,
        now=NOW + timedelta(minutes=1),
    )
    later = NOW + timedelta(minutes=2)
    status = consent_status(patient, RACEMIC, now=later)
    assert status.valid
    assert status.record == record
    with pytest.raises(ConsentError, match="already countersigned"):
        countersign(actor=Actor(user=prescriber, roles=frozenset([])), record=record, now=later)
    with pytest.raises(ConsentError) as error:
        withdraw(actor=Actor(user=nurse, roles=frozenset([])), record=record, reason=" ", now=later)
    assert error.value.field == "reason"
    withdraw(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        record=record,
        reason="Patient changed mind",
        now=later,
    )
    status = consent_status(patient, RACEMIC, now=later)
    assert not status.valid
    assert status.reason.startswith("Consent withdrawn on")
    assert "Patient changed mind" in status.reason
    with pytest.raises(ConsentError, match="already withdrawn"):
        withdraw(
            actor=Actor(user=nurse, roles=frozenset([])),
            record=record,
            reason="again and again",
            now=later,
        )
    with pytest.raises(ConsentError, match="withdrawn"):
        countersign(actor=Actor(user=prescriber, roles=frozenset([])), record=record, now=later)
    actions = list(
        AuditEvent.objects.filter(target__endswith=str(record.public_id))
        .order_by("id")
        .values_list("action", "patient_public_id")
    )
    assert actions == [
        ("consent.patient_signed", patient.public_id),
        ("consent.countersigned", patient.public_id),
        ("consent.withdrawn", patient.public_id),
    ]
    # After a withdrawal the patient may sign the same version again.
    _sign(patient, _doc(documents, RACEMIC), nurse, now=later + timedelta(minutes=1))


def test_a_new_version_requires_re_consent(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    nurse = demo_user(Role.NURSE)
    record = _sign(patient, _doc(documents, RACEMIC), nurse)
    countersign(actor=Actor(user=nurse, roles=frozenset([])), record=record, now=NOW)
    assert consent_status(patient, RACEMIC, now=NOW).valid
    later = NOW + timedelta(days=1)
    v2 = publish_document(
        actor=Actor(user=demo_user(Role.CLINIC_ADMIN), roles=frozenset([])),
        clinic=patient.clinic,
        treatment_type=RACEMIC,
        title="v2",
        body="b",
        now=later,
    )
    # Judged before v2 was published, the old consent still holds.
    assert consent_status(patient, RACEMIC, now=NOW).valid
    status = consent_status(patient, RACEMIC, now=later)
    assert not status.valid
    assert status.reason.startswith("Re-consent required: version 2 published")
    assert status.code == ConsentStatusCode.SUPERSEDED
    renewed = _sign(patient, v2, nurse, now=later)
    countersign(actor=Actor(user=nurse, roles=frozenset([])), record=renewed, now=later)
    assert consent_status(patient, RACEMIC, now=later).valid


def test_the_overview_covers_every_treatment_type(
    patient: Patient, documents: list[ConsentDocument]
) -> None:
    overview = consent_overview(patient, now=NOW)
    assert [s.treatment_type for s in overview] == list(TreatmentType)
    assert all(s.reason.startswith("Not signed") for s in overview)


def test_without_a_published_document_consent_is_not_valid(undocumented_patient: Patient) -> None:
    status = consent_status(undocumented_patient, RACEMIC, now=NOW)
    assert not status.valid
    assert "No consent document" in status.reason
