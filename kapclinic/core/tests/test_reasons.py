"""The one rule for written reasons (issue 12.4): visible characters, a minimum, words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapclinic.core.exceptions import DomainError
from kapclinic.core.reasons import (
    MIN_REASON_CHARS,
    ReasonError,
    clean_reason,
    reason_message,
    reason_problem,
    visible_text,
)

INVISIBLE = "\u200b\u200e\u202e\u2066\x00\x07"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "short",
        "..........",  # ten signs, no word
        "1234567890",  # ten digits, no word
        INVISIBLE * 5,
        "a b c d e f g h i",  # nine letters spread by spaces
        "wrong\u200b\u200b\u200b\u200b\u200b",  # five letters padded with zero-width spaces
    ],
)
def test_a_reason_that_a_reader_would_not_accept_is_refused_with_the_one_message(
    text: str,
) -> None:
    assert reason_problem(text) == reason_message(MIN_REASON_CHARS)
    with pytest.raises(ReasonError, match="in words, at least 10 characters"):
        clean_reason(text)


def test_an_acceptable_reason_is_stored_as_a_reader_sees_it() -> None:
    assert clean_reason("  wrong\u200b patient\u202e \n") == "wrong patient"
    assert clean_reason("wrong patient\nentered twice") == "wrong patient\nentered twice"
    assert clean_reason("Rückzug, Patientin wünscht es") == "Rückzug, Patientin wünscht es"
    assert clean_reason("患者本人の希望による中止です") == "患者本人の希望による中止です"


def test_the_minimum_is_the_callers_and_the_refusal_is_the_callers_error() -> None:
    class RefusedError(DomainError):
        pass

    assert clean_reason("moved", minimum=5, error=RefusedError) == "moved"
    with pytest.raises(RefusedError) as raised:
        clean_reason("moved", minimum=15, error=RefusedError)
    assert raised.value.message == reason_message(15)


@given(st.text(max_size=40))
def test_whatever_is_accepted_has_enough_visible_characters_and_a_letter(text: str) -> None:
    problem = reason_problem(text)
    visible = visible_text(text)
    counted = sum(not ch.isspace() for ch in visible)
    assert (problem is None) == (counted >= MIN_REASON_CHARS and any(c.isalpha() for c in visible))
    if problem is None:
        assert not set(INVISIBLE) & set(clean_reason(text))
