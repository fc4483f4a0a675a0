"""Filling the eligibility screening form in the browser, as a nurse does (shared by the intake
flow and the screening safety tests)."""

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import Page

CHECKED = (
    "Medical history reviewed",
    "Psychosis and mania history taken",
    "Substance-use history taken",
    "C-SSRS screener completed",
    "Medications reviewed",
)


def fill_racemic_screening(
    page: Page, *, vitals: dict[str, str], phq9: Sequence[int], gad7: Sequence[int]
) -> None:
    """A complete racemic-ketamine screening with these vitals (label -> value) and answers;
    the caller presses "Record and evaluate"."""
    page.get_by_label("Treatment being considered").select_option(label="Racemic ketamine")
    for box in CHECKED:
        page.get_by_label(box).check()
    page.get_by_label("Psychiatric diagnosis established").select_option(label="Yes")
    page.get_by_label("Pregnancy status").select_option(value="not_pregnant")
    for label, value in vitals.items():
        page.get_by_label(label).fill(value)
    for n, answer in enumerate(phq9, start=1):
        page.locator(f"#id_phq9_{n}").select_option(value=str(answer))
    for n, answer in enumerate(gad7, start=1):
        page.locator(f"#id_gad7_{n}").select_option(value=str(answer))
