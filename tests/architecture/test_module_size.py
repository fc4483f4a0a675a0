"""No module of kapclinic/ over 500 lines (docs/style.md §15; issue 12.2).

A module that outgrows the budget is split into a package by sub-domain with explicit
re-exports. The modules over it today are listed in ``OVER_BUDGET`` with their line counts when
listed: the list only shrinks. A listed module that grows past its figure fails, and one that
comes down to the budget must leave the list (this test says so); lowering a figure as a module
shrinks is welcome. Migrations are left out: Django writes them and nobody edits them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
BUDGET: Final = 500
# Module -> its line count when listed. Shrinks only: lower a figure or remove the line.
OVER_BUDGET: Final[dict[str, int]] = {
    "kapclinic/measurement/models.py": 559,
    "kapclinic/measurement/responses/services.py": 608,
    "kapclinic/measurement/safety/services.py": 603,
    "kapclinic/measurement/tests/test_safety.py": 779,
    "kapclinic/screening/tests/test_rules.py": 660,
}


def line_counts() -> dict[str, int]:
    """Every module under kapclinic/ but migrations (relative path) -> its number of lines."""
    return {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted((ROOT / "kapclinic").rglob("*.py"))
        if "migrations" not in path.parts
    }


def problems(counts: dict[str, int], listed: dict[str, int]) -> list[str]:
    found = []
    for module, lines in counts.items():
        allowed = listed.get(module, BUDGET)
        if lines > allowed:
            found.append(
                f"{module} has {lines} lines, over its budget of {allowed}: split it into a "
                "package by sub-domain with explicit re-exports (docs/style.md §15)"
            )
        elif module in listed and lines <= BUDGET:
            found.append(
                f"{module} has {lines} lines, within the budget of {BUDGET}: remove it from "
                "OVER_BUDGET in tests/architecture/test_module_size.py"
            )
    found.extend(
        f"{module} is listed in OVER_BUDGET but does not exist: remove it"
        for module in sorted(set(listed) - set(counts))
    )
    return found


def test_no_module_outgrows_its_budget() -> None:
    found = problems(line_counts(), OVER_BUDGET)
    assert not found, "\n".join(found)


def test_the_check_refuses_growth_and_keeps_the_list_honest() -> None:
    listed = {"kapclinic/big.py": 600, "kapclinic/gone.py": 700, "kapclinic/shrunk.py": 650}
    counts = {
        "kapclinic/big.py": 601,  # grew past its figure
        "kapclinic/new.py": 501,  # a new module over the budget
        "kapclinic/shrunk.py": 500,  # back within the budget: must leave the list
        "kapclinic/fine.py": 500,
    }
    assert problems(counts, listed) == [
        "kapclinic/big.py has 601 lines, over its budget of 600: split it into a package by "
        "sub-domain with explicit re-exports (docs/style.md §15)",
        "kapclinic/new.py has 501 lines, over its budget of 500: split it into a package by "
        "sub-domain with explicit re-exports (docs/style.md §15)",
        "kapclinic/shrunk.py has 500 lines, within the budget of 500: remove it from "
        "OVER_BUDGET in tests/architecture/test_module_size.py",
        "kapclinic/gone.py is listed in OVER_BUDGET but does not exist: remove it",
    ]
