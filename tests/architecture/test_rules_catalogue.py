"""docs/rules.md is the project's own catalogue of the clinical rules it encodes (issue 12.7).

It is generated from docs/clinical-reference.md and the rule ids the code and tests cite, so it
cannot drift: these tests fail when it is stale, when code cites an unknown rule id, or when an
encoded rule is cited by no test. ``make rules`` rewrites it.
"""

from __future__ import annotations

from tests.architecture.rules_catalogue import (
    CATALOGUE,
    REFERENCE,
    parse_reference,
    problems,
    render,
)


def test_the_catalogue_is_current() -> None:
    assert CATALOGUE.read_text(encoding="utf-8") == render(), (
        "docs/rules.md is stale: run `make rules` and commit it"
    )


def test_every_cited_rule_exists_and_every_encoded_rule_is_tested() -> None:
    assert problems() == []


def test_the_reference_parser_reads_rule_text_source_and_corrections() -> None:
    rules, corrections = parse_reference(REFERENCE.read_text(encoding="utf-8"))
    phq9 = rules["R-OUT-1"]
    assert phq9.text.startswith("PHQ-9: sum 9 items")
    assert "item 9 > 0 → urgent suicide-risk task" in phq9.text
    assert phq9.source == "§4.1"
    assert rules["R-SCR-2"].qualifier.startswith("configurable")
    assert rules["R-CS-7"].source.startswith("1301.76(b)")
    # The December 2026 update's rule families are read too, and it revisits earlier rules.
    assert {"R-INT-1", "R-MNT-1", "R-CMP-1"} <= set(rules)
    assert any(rule_id.startswith("R-REMS-") for rule_id in corrections)
