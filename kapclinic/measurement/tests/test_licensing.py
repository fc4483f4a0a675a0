"""A clinic's licensed wording: the file checked item by item, loads and retirements (audited
by hash, never by text), the clinic's instrument and the picker's reasons (issue 11.2;
R-OUT-4, R-OUT-5: MADRS and the C-SSRS are used electronically only under licence)."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.licensing.exceptions import LicensedWordingError
from kapclinic.measurement.licensing.selectors import (
    instrument_for_clinic,
    list_instrument_choices,
    list_instrument_licences,
)
from kapclinic.measurement.licensing.services import load_wording, retire_wording
from kapclinic.measurement.licensing.wording import parse_wording, sha256_of
from kapclinic.measurement.models import LicensedWording
from kapclinic.measurement.tests.wording import (
    CSSRS,
    clinic_admin,
    dummy_wording,
    load_test_wording,
)

CSSRS_DEFINITION = get_instrument(CSSRS)


def _problems(raw: str, code: str = CSSRS) -> list[str]:
    with pytest.raises(LicensedWordingError) as refused:
        parse_wording(get_instrument(code), raw)
    assert refused.value.field == "wording"
    return [str(problem) for problem in refused.value.problems]


def _file(**changes: object) -> str:
    data = json.loads(dummy_wording(CSSRS))
    data.update(changes)
    return json.dumps(data)


# --- the file, item by item (pure) -----------------------------------------------------------


def test_a_complete_file_is_read_with_its_stem_texts_and_labels() -> None:
    wording = parse_wording(CSSRS_DEFINITION, dummy_wording(CSSRS))
    assert wording.items["cssrs_1"] == "Item 1 wording (test)"
    assert wording.stem == "Instructions (test)"
    assert wording.options["cssrs_1"] == {0: "Answer 0 (test)", 1: "Answer 1 (test)"}


def test_each_missing_or_unknown_item_is_named() -> None:
    items = json.loads(dummy_wording(CSSRS))["items"]
    del items["cssrs_3"]
    items["cssrs_4"] = "   "
    items["cssrs_99"] = "An item the screener lacks"
    problems = _problems(_file(items=items))
    assert problems == [
        "cssrs_3: no text (Active ideation with method, without intent).",
        "cssrs_4: the text is empty (Active ideation with some intent, without specific plan).",
        "cssrs_99: no such item in cssrs_screener version 1.",
    ]


def test_answer_labels_must_name_the_items_values() -> None:
    problems = _problems(_file(options={"cssrs_1": {"7": "Seven", "x": "Ex", "1": 5}}))
    assert problems == [
        'cssrs_1: no answer value "7" (values: 0, 1).',
        'cssrs_1: no answer value "x" (values: 0, 1).',
        "cssrs_1: the label of 1 must be text in quotes.",
    ]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("{not json", "The file is not valid JSON (line 1, column 2"),
        ("[1, 2]", "The file must be one JSON object"),
        ("[" * 100_000 + "]" * 100_000, "The file is not valid JSON"),
        (_file(item={}), 'Unknown key "item"'),
        (_file(items=["a"]), '"items" must be an object'),
        (_file(stem=3), "The stem must be text in quotes."),
        (_file(stem="Read \u202ethis"), "The stem contains control or text-direction"),
        (_file(stem="x" * 2001), "The stem is longer than 2000 characters."),
        ("x" * (256 * 1024 + 1), "The file is larger than 256 KB."),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(raw: str, problem: str) -> None:
    problems = _problems(raw)
    assert any(p.startswith(problem) for p in problems), problems


def test_an_instrument_that_ships_its_wording_takes_none() -> None:
    with pytest.raises(LicensedWordingError, match="ships its own wording"):
        parse_wording(get_instrument("phq9"), dummy_wording(CSSRS))


def test_the_fingerprint_does_not_depend_on_key_order() -> None:
    assert sha256_of({"a": 1, "b": {"c": 2}}) == sha256_of({"b": {"c": 2}, "a": 1})


# --- loads and retirements -------------------------------------------------------------------


def test_a_load_is_audited_by_hash_never_by_text(clinics: list[Clinic]) -> None:
    wording = load_test_wording(clinics[0])
    assert wording.status == LicensedWording.Status.IN_USE
    assert wording.texts["items"]["cssrs_1"] == "Item 1 wording (test)"
    event = AuditEvent.objects.get(action="measurement.licensed_wording_loaded")
    assert event.actor == clinic_admin(clinics[0])
    assert event.clinic_public_id == clinics[0].public_id
    assert event.target == f"measurement.LicensedWording:{wording.public_id}"
    assert event.changes["wording_sha256"] == [None, wording.texts_sha256]
    assert event.changes["licence_reference"] == [None, "TEST-cssrs_screener-test"]
    assert event.detail["items"] == len(CSSRS_DEFINITION.items)
    stored = json.dumps([event.changes, event.detail])
    assert "wording (test)" not in stored
    assert "Instructions" not in stored


def test_a_newer_load_supersedes_and_keeps_the_older(clinics: list[Clinic]) -> None:
    first = load_test_wording(clinics[0], marker="first")
    second = load_test_wording(clinics[0], marker="second")
    first.refresh_from_db()
    assert first.status == LicensedWording.Status.SUPERSEDED
    assert first.superseded_by == second
    assert first.ended_by == second.loaded_by
    assert second.status == LicensedWording.Status.IN_USE
    event = AuditEvent.objects.filter(action="measurement.licensed_wording_loaded").latest("id")
    assert event.changes["wording_sha256"] == [first.texts_sha256, second.texts_sha256]
    assert event.detail["supersedes"] == str(first.public_id)
    shown = instrument_for_clinic(clinics[0].pk, CSSRS)
    assert shown.item("cssrs_1").text == "Item 1 wording (second)"


def test_the_same_wording_under_the_same_licence_is_not_loaded_twice(
    clinics: list[Clinic],
) -> None:
    load_test_wording(clinics[0])
    with pytest.raises(LicensedWordingError, match="already in use"):
        load_test_wording(clinics[0])
    assert LicensedWording.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"licence_holder": "  "}, "licence_holder"),
        ({"licence_reference": "\u202e" * 5}, "licence_reference"),
        ({"licence_reference": "R" * 201}, "licence_reference"),
        ({"licence_confirmed": False}, "licence_confirmed"),
        ({"instrument_code": "nope"}, ""),
        ({"raw": "{}"}, "wording"),
    ],
)
def test_a_refused_load_writes_nothing(
    clinics: list[Clinic], changes: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {
        "instrument_code": CSSRS,
        "raw": dummy_wording(CSSRS),
        "licence_holder": "Test Clinic LLC",
        "licence_reference": "AGR-1",
        "licence_confirmed": True,
        **changes,
    }
    with pytest.raises(LicensedWordingError) as refused:
        load_wording(
            actor=Actor(user=clinic_admin(clinics[0]), roles=frozenset({Role.CLINIC_ADMIN})),
            clinic=clinics[0],
            now=timezone.now(),
            **arguments,  # type: ignore[arg-type]
        )
    assert refused.value.field == field
    assert not LicensedWording.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="measurement.licensed").exists()


def test_retiring_needs_a_reason_and_is_audited(clinics: list[Clinic]) -> None:
    wording = load_test_wording(clinics[0])
    admin = clinic_admin(clinics[0])
    with pytest.raises(LicensedWordingError, match="at least 10"):
        retire_wording(
            actor=Actor(user=admin, roles=frozenset({Role.CLINIC_ADMIN})),
            wording=wording,
            reason="\u202e" * 20,
            now=timezone.now(),
        )
    retired = retire_wording(
        actor=Actor(user=admin, roles=frozenset({Role.CLINIC_ADMIN})),
        wording=wording,
        reason="The licence ended this month.",
        now=timezone.now(),
    )
    assert (retired.status, retired.ended_by, retired.end_reason) == (
        LicensedWording.Status.RETIRED,
        admin,
        "The licence ended this month.",
    )
    event = AuditEvent.objects.get(action="measurement.licensed_wording_retired")
    assert event.changes == {"status": ["in_use", "retired"]}
    assert event.detail["wording_sha256"] == wording.texts_sha256
    assert not instrument_for_clinic(clinics[0].pk, CSSRS).has_texts
    with pytest.raises(LicensedWordingError, match="no longer in use"):
        retire_wording(
            actor=Actor(user=admin, roles=frozenset({Role.CLINIC_ADMIN})),
            wording=wording,
            reason="Once more, by mistake.",
            now=timezone.now(),
        )


def test_the_database_keeps_one_wording_in_use_per_instrument(clinics: list[Clinic]) -> None:
    wording = load_test_wording(clinics[0])
    duplicate = LicensedWording(
        clinic=wording.clinic,
        instrument_code=wording.instrument_code,
        instrument_version=wording.instrument_version,
        texts=wording.texts,
        texts_sha256=wording.texts_sha256,
        licence_holder="Someone",
        licence_reference="Else",
        loaded_by=wording.loaded_by,
        loaded_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


# --- the instrument as the clinic gives it ---------------------------------------------------


def test_the_wording_applies_in_its_clinic_only(clinics: list[Clinic]) -> None:
    load_test_wording(clinics[0])
    ours = instrument_for_clinic(clinics[0].pk, CSSRS)
    theirs = instrument_for_clinic(clinics[1].pk, CSSRS)
    assert ours.has_texts
    assert ours.texts_loaded
    assert ours.stem == "Instructions (test)"
    assert not theirs.has_texts
    # Scoring, skip logic and alerts are those of the shipped definition.
    assert ours.scoring == theirs.scoring == CSSRS_DEFINITION.scoring
    assert ours.alerts == CSSRS_DEFINITION.alerts


def test_an_instrument_that_ships_its_wording_costs_no_query(clinics: list[Clinic]) -> None:
    with CaptureQueriesContext(connection) as queries:
        instrument_for_clinic(clinics[0].pk, "phq9")
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        instrument_for_clinic(clinics[0].pk, CSSRS)
    assert len(queries) == 1


def test_a_stored_wording_that_no_longer_fits_is_not_used(
    clinics: list[Clinic], caplog: pytest.LogCaptureFixture
) -> None:
    wording = load_test_wording(clinics[0])
    LicensedWording.objects.filter(pk=wording.pk).update(texts={"items": {"cssrs_1": "x"}})
    assert not instrument_for_clinic(clinics[0].pk, CSSRS).has_texts
    assert str(wording.public_id) in caplog.text
    assert "Item 1" not in caplog.text


def test_the_picker_says_why_each_instrument_is_unavailable(clinics: list[Clinic]) -> None:
    load_test_wording(clinics[0])
    with CaptureQueriesContext(connection) as queries:
        choices = {c.instrument.code: c for c in list_instrument_choices(clinics[0].pk)}
    assert len(queries) == 1
    assert choices[CSSRS].available
    assert choices["phq9"].available
    assert not choices["madrs"].available
    assert choices["madrs"].reason.startswith("licensed: its wording is not loaded")
    assert choices["qids_sr16"].reason.startswith("licence unverified")
    assert choices["cadss"].reason.startswith(
        "licence not found: its wording cannot be loaded until the clinic confirms its licence"
    )
    theirs = {c.instrument.code: c for c in list_instrument_choices(clinics[1].pk)}
    assert not theirs[CSSRS].available
    assert "Clinic → Instruments" in theirs[CSSRS].reason


def test_the_admins_list_names_each_licence_and_who_loaded_what(clinics: list[Clinic]) -> None:
    wording = load_test_wording(clinics[0])
    rows = {row.instrument.code: row for row in list_instrument_licences(clinics[0])}
    assert rows[CSSRS].wording == wording
    assert rows[CSSRS].licence.startswith("Licensed (Research Foundation for Mental Hygiene")
    assert rows["phq9"].licence == "Public domain: its wording ships with kapclinic."
    assert not rows["phq9"].needs_loading
    assert rows["cadss"].licence.startswith("Licence not found")
    assert rows["madrs"].wording is None
