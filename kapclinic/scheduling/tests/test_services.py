"""Publishing protocol versions, retiring a protocol, the shipped templates of each clinic, and
the database's refusal to change a published version (issue 13.1), on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import ProtocolDefinitionError, SchedulingError
from kapclinic.scheduling.models import ProtocolVersion
from kapclinic.scheduling.selectors import current_protocol_version, list_protocols
from kapclinic.scheduling.services import (
    ensure_shipped_protocols,
    publish_protocol_version,
    retire_protocol,
)

pytestmark = pytest.mark.django_db
REASON = "Our nurses now watch three chairs each."


def _admin(clinic: Clinic) -> User:
    return staff_of(clinic, Role.CLINIC_ADMIN)


def _kap(clinic: Clinic) -> ProtocolVersion:
    version = current_protocol_version(clinic, "kap-im-sl")
    assert version is not None
    return version


def _edited(version: ProtocolVersion) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(version.document)
    document["session_types"][1]["resources"]["patients_per_nurse"] = 3
    return document


def _publish(
    clinic: Clinic, document: object, reason: str = REASON, **extra: Any
) -> ProtocolVersion:
    return publish_protocol_version(
        actor=Actor.for_user(_admin(clinic), clinic),
        clinic=clinic,
        document=document,
        reason=reason,
        now=timezone.now(),
        **extra,
    )


def test_every_demo_clinic_has_the_five_templates_as_version_1(clinics: list[Clinic]) -> None:
    for clinic in clinics:
        rows = list_protocols(clinic)
        assert len(rows) == 5
        assert {(r.latest.version, r.status, r.latest.published_by_id) for r in rows} == {
            (1, "Current", None)
        }


def test_ensuring_the_templates_again_adds_nothing(clinics: list[Clinic]) -> None:
    before = ProtocolVersion.objects.count()
    assert ensure_shipped_protocols(clinic=clinics[0]) == []
    call_command("ensure_protocols", clinic=clinics[0].code, stdout=None)
    assert ProtocolVersion.objects.count() == before


def test_a_new_clinic_gets_the_templates_once_audited(clinics: list[Clinic]) -> None:
    clinic = Clinic.objects.create(
        organization=clinics[0].organization, name="Third", code="THR", time_zone="UTC"
    )
    created = ensure_shipped_protocols(clinic=clinic)
    assert sorted(v.code for v in created) == [
        "cbt-comparison",
        "esketamine-rems",
        "iv-ketamine-induction",
        "kap-im-sl",
        "ketamine-maintenance",
    ]
    entries = AuditEvent.objects.filter(
        clinic_public_id=clinic.public_id, action=SchedulingAuditAction.PROTOCOL_PUBLISHED
    )
    assert entries.count() == 5
    assert all(e.actor_id is None and e.detail["shipped"] for e in entries)
    assert ensure_shipped_protocols(clinic=clinic) == []


def test_publishing_adds_the_next_version_and_keeps_the_earlier_one(
    clinics: list[Clinic],
) -> None:
    clinic = clinics[0]
    first = _kap(clinic)
    second = _publish(clinic, _edited(first), code="kap-im-sl")
    assert (second.version, second.reason, second.published_by) == (2, REASON, _admin(clinic))
    assert second.document["session_types"][1]["resources"]["patients_per_nurse"] == 3
    first.refresh_from_db()
    assert first.document["session_types"][1]["resources"]["patients_per_nurse"] == 2
    assert current_protocol_version(clinic, "kap-im-sl") == second
    entry = AuditEvent.objects.get(target=f"scheduling.ProtocolVersion:{second.public_id}")
    assert entry.action == SchedulingAuditAction.PROTOCOL_PUBLISHED
    assert entry.detail == {"code": "kap-im-sl", "version": 2, "shipped": False, "reason": REASON}
    # The other clinic's protocol is its own.
    assert _kap(clinics[1]).version == 1


def test_a_bad_document_is_refused_item_by_item_and_nothing_is_written(
    clinics: list[Clinic],
) -> None:
    clinic = clinics[0]
    document = _edited(_kap(clinic))
    document["session_types"][1]["phases"][0]["minutes"] = -5
    document["measurement_plan"] = "weekly"
    before = (ProtocolVersion.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ProtocolDefinitionError) as refused:
        _publish(clinic, document)
    assert refused.value.problems == (
        "session type 'kap-dose', phase 1: 'minutes' must be a whole number from 1 to 600, not -5",
    )
    document["session_types"][1]["phases"][0]["minutes"] = 5
    with pytest.raises(ProtocolDefinitionError) as refused:
        _publish(clinic, document, code="iv-ketamine-induction")
    assert refused.value.problems == (
        "'code' must stay 'iv-ketamine-induction': a new version keeps its protocol's code "
        "(not 'kap-im-sl')",
        "'measurement_plan': this clinic has no measurement plan 'weekly'",
    )
    assert (ProtocolVersion.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("reason", ["", "          ", "..........", "\u200b" * 12])
def test_a_version_needs_a_reason_in_words(clinics: list[Clinic], reason: str) -> None:
    before = ProtocolVersion.objects.count()
    with pytest.raises(SchedulingError) as refused:
        _publish(clinics[0], _edited(_kap(clinics[0])), reason=reason)
    assert refused.value.field == "reason"
    assert ProtocolVersion.objects.count() == before


def test_a_version_identical_to_the_current_one_is_refused(clinics: list[Clinic]) -> None:
    current = _kap(clinics[0])
    with pytest.raises(SchedulingError, match="the same as version 1"):
        _publish(clinics[0], current.document)


def test_a_new_code_starts_a_new_protocol_at_version_1(clinics: list[Clinic]) -> None:
    document = _edited(_kap(clinics[0]))
    document["code"] = "kap-eight"
    document["name"] = "KAP, eight sessions"
    created = _publish(clinics[0], document)
    assert (created.code, created.version) == ("kap-eight", 1)
    assert len(list_protocols(clinics[0])) == 6


def test_retiring_keeps_the_version_and_publishing_offers_it_again(
    clinics: list[Clinic],
) -> None:
    clinic = clinics[0]
    admin = _admin(clinic)
    current = _kap(clinic)
    retired = retire_protocol(
        actor=Actor.for_user(admin, clinic),
        version=current,
        reason="We stopped offering sublingual KAP.",
        now=timezone.now(),
    )
    assert (retired.status, retired.retired_by) == (ProtocolVersion.Status.RETIRED, admin)
    assert current_protocol_version(clinic, "kap-im-sl") is None
    entry = AuditEvent.objects.get(action=SchedulingAuditAction.PROTOCOL_RETIRED)
    assert entry.changes == {"status": ["published", "retired"]}
    with pytest.raises(SchedulingError, match="Only the current, published version"):
        retire_protocol(
            actor=Actor.for_user(admin, clinic),
            version=retired,
            reason="Twice is once too many.",
            now=timezone.now(),
        )
    again = _publish(clinic, retired.document, code="kap-im-sl")
    assert again.version == 2
    assert current_protocol_version(clinic, "kap-im-sl") == again


def test_an_earlier_version_cannot_be_retired(clinics: list[Clinic]) -> None:
    clinic = clinics[0]
    first = _kap(clinic)
    _publish(clinic, _edited(first), code="kap-im-sl")
    with pytest.raises(SchedulingError):
        retire_protocol(
            actor=Actor.for_user(_admin(clinic), clinic),
            version=first,
            reason="An old version, retired.",
            now=timezone.now(),
        )
    first.refresh_from_db()
    assert first.status == ProtocolVersion.Status.PUBLISHED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("document", {"code": "changed"}),
        ("name", "Renamed"),
        ("reason", "Rewritten history"),
        ("version", 9),
        ("code", "other"),
    ],
)
def test_a_published_version_cannot_be_changed_in_the_database(
    clinics: list[Clinic], field: str, value: object
) -> None:
    """The database refuses it on both backends (migration 0002), whatever the code does."""
    version = _kap(clinics[0])
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        ProtocolVersion.objects.filter(pk=version.pk).update(**{field: value})
    version.refresh_from_db()
    assert version.version == 1
    assert version.name == "Ketamine-assisted psychotherapy (IM or sublingual)"


def test_a_retirement_is_final_in_the_database(clinics: list[Clinic]) -> None:
    version = retire_protocol(
        actor=Actor.for_user(_admin(clinics[0]), clinics[0]),
        version=_kap(clinics[0]),
        reason="Retired for the test of finality.",
        now=timezone.now(),
    )
    for change in (
        {"status": "published", "retired_at": None, "retired_reason": ""},
        {"retired_reason": "Another reason, later."},
        {"retired_at": timezone.now() + timedelta(days=1)},
    ):
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            ProtocolVersion.objects.filter(pk=version.pk).update(**change)
    version.refresh_from_db()
    assert version.retired_reason == "Retired for the test of finality."


def test_saving_a_version_unchanged_passes_and_deleting_is_refused(clinics: list[Clinic]) -> None:
    version = _kap(clinics[0])
    version.save()  # the same values: nothing changes, the trigger lets it pass
    with pytest.raises(ProtectedError):
        version.delete()
    assert ProtocolVersion.objects.filter(pk=version.pk).exists()
