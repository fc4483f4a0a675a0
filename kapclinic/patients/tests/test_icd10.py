from __future__ import annotations

import pytest

from kapclinic.patients.icd10 import MAX_RESULTS, Icd10Code, all_codes, compact, lookup, search


def _codes(found: list[Icd10Code]) -> list[str]:
    return [c.code for c in found]


@pytest.mark.parametrize(
    ("typed", "code", "description"),
    [
        ("F32.A", "F32.A", "Depression, unspecified"),
        ("f33.1", "F33.1", "Major depressive disorder, recurrent, moderate"),
        ("F4310", "F43.10", "Post-traumatic stress disorder, unspecified"),
        (" F43.12 ", "F43.12", "Post-traumatic stress disorder, chronic"),
        ("r45.851", "R45.851", "Suicidal ideations"),
        ("T14.91XA", "T14.91XA", "Suicide attempt, initial encounter"),
    ],
)
def test_lookup_finds_a_billable_code_however_it_is_typed(
    typed: str, code: str, description: str
) -> None:
    found = lookup(typed)
    assert found == Icd10Code(code=code, description=description, billable=True)


def test_a_category_header_is_listed_but_not_billable() -> None:
    header = lookup("F43.1")
    assert header is not None
    assert header.description == "Post-traumatic stress disorder (PTSD)"
    assert not header.billable
    category = lookup("F33")
    assert category is not None
    assert not category.billable


@pytest.mark.parametrize("typed", ["", "F99.99", "Z00.00", "I25.10", "F33.1X", "x" * 500])
def test_lookup_of_an_unlisted_code_is_none(typed: str) -> None:
    assert lookup(typed) is None


def test_compact_drops_dots_spaces_and_case() -> None:
    assert compact(" f43.10 ") == "F4310"


def test_the_list_holds_chapter_5_and_the_chosen_other_codes_only() -> None:
    codes = all_codes()
    assert len(codes) == 1736
    assert sum(c.billable for c in codes) == 1348
    assert {c.code[0] for c in codes} == set("EFGHIKNQRTZ")
    assert all(len(c.code) <= 8 and c.description for c in codes)
    assert [c.code for c in codes] == sorted(c.code for c in codes)


def test_searching_a_category_lists_it_first_then_its_codes_in_order() -> None:
    assert _codes(search("F33")) == [
        "F33",
        "F33.0",
        "F33.1",
        "F33.2",
        "F33.3",
        "F33.4",
        "F33.40",
        "F33.41",
        "F33.42",
        "F33.8",
        "F33.9",
    ]


@pytest.mark.parametrize("typed", ["F43.1", "f431", "F43.1 "])
def test_code_prefix_with_or_without_the_dot(typed: str) -> None:
    assert _codes(search(typed)) == ["F43.1", "F43.10", "F43.11", "F43.12"]


def test_an_exact_code_ranks_before_longer_codes() -> None:
    assert _codes(search("F43.1"))[0] == "F43.1"
    assert _codes(search("f32a")) == ["F32.A"]


def test_title_words_match_word_starts_ignoring_case_and_accents() -> None:
    assert _codes(search("ptsd")) == ["F43.1"]
    assert _codes(search("Stress CHRON")) == ["F43.12"]
    assert _codes(search("póst-traumátic STRESS")) == ["F43.1", "F43.10", "F43.11", "F43.12"]


def test_every_title_word_must_match() -> None:
    found = search("recurrent moderate depressive")
    assert _codes(found) == ["F33.1"]
    assert search("recurrent zebra") == []


def test_a_word_in_the_middle_of_a_title_word_does_not_match() -> None:
    # "ression" is inside "depression" but starts no word.
    assert search("ression") == []


def test_a_code_and_title_words_together_narrow_the_category() -> None:
    assert _codes(search("F33 severe psychotic")) == ["F33.2", "F33.3"]


def test_results_are_limited() -> None:
    assert len(search("disorder", limit=5)) == 5
    assert len(search("disorder", limit=10_000)) == MAX_RESULTS
    assert len(search("F", limit=0)) == 1


@pytest.mark.parametrize("typed", ["", "   ", "...", "\x00", "😀" * 200])
def test_empty_or_garbage_queries_find_nothing(typed: str) -> None:
    assert search(typed) == []


def test_the_codes_of_a_kap_clinic_are_listed() -> None:
    for code in ("F32.A", "F33.1", "F43.10", "F43.12", "F41.1", "Z91.51", "I10", "H40.9"):
        found = lookup(code)
        assert found is not None, code
        assert found.billable, code
