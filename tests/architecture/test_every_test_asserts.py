"""Every test checks something (issue 12): a test that only runs code passes whatever it does.

A test function checks something when its body holds an ``assert``, ``pytest.raises``,
``pytest.warns`` or ``pytest.fail``, Playwright's ``expect``, or a call to an ``assert_…``
helper, or when it calls a function of its own module that does (followed through such calls:
the tampering tests call ``_caught``). Read from the source, so it costs no database.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKING_CALLS = {"raises", "warns", "fail", "expect"}
Function = ast.FunctionDef | ast.AsyncFunctionDef


def _called(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Name):
                names.add(sub.func.id)
            elif isinstance(sub.func, ast.Attribute):
                names.add(sub.func.attr)
    return names


def _checks_itself(node: ast.AST) -> bool:
    if any(isinstance(sub, ast.Assert) for sub in ast.walk(node)):
        return True
    return any(name in CHECKING_CALLS or name.startswith("assert") for name in _called(node))


def unchecked_tests(source: str) -> list[str]:
    """The test functions of a module's ``source`` that check nothing."""
    tree = ast.parse(source)
    functions = [node for node in ast.walk(tree) if isinstance(node, Function)]
    checking = {f.name for f in functions if _checks_itself(f)}
    grew = True
    while grew:  # helpers that call checking helpers check too
        found = {f.name for f in functions if _called(f) & checking} - checking
        checking |= found
        grew = bool(found)
    return [
        f"{f.name} (line {f.lineno})"
        for f in functions
        if f.name.startswith("test") and f.name not in checking
    ]


def test_every_test_function_checks_something() -> None:
    unchecked = [
        f"{path.relative_to(ROOT)}: {name}"
        for folder in ("kapclinic", "tests")
        for path in sorted((ROOT / folder).rglob("test_*.py"))
        for name in unchecked_tests(path.read_text(encoding="utf-8"))
    ]
    assert not unchecked, "tests that assert nothing:\n" + "\n".join(unchecked)


@pytest.mark.parametrize(
    ("source", "unchecked"),
    [
        ("def test_a():\n    run()\n", ["test_a (line 1)"]),
        ("def test_a():\n    assert run()\n", []),
        ("def test_a():\n    with pytest.raises(E):\n        run()\n", []),
        ("def test_a(page):\n    expect(page).to_have_url('/')\n", []),
        ("def test_a(page):\n    assert_accessible(page)\n", []),
        (
            "def _ok(x):\n    assert x\n\ndef _via(x):\n    _ok(x)\n\ndef test_a():\n    _via(1)\n",
            [],
        ),
        ("def _quiet(x):\n    return x\n\ndef test_a():\n    _quiet(1)\n", ["test_a (line 4)"]),
    ],
)
def test_the_check_tells_a_checking_test_from_one_that_only_runs(
    source: str, unchecked: list[str]
) -> None:
    assert unchecked_tests(source) == unchecked
