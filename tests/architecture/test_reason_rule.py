"""Every written reason goes through kapclinic.core.reasons (issue 12.4).

Before it there were three copies that removed invisible characters and several that only
trimmed spaces, so an invisible-character reason passed in some places and not in others. This
test reads every module and fails when one measures or trims a reason itself (``len(reason)``,
``reason.strip()``) or filters Unicode categories on its own: such code must call
``clean_reason`` / ``reason_problem`` instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / "kapclinic" / "core" / "reasons.py"


def _names_a_reason(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return "reason" in node.id
    if isinstance(node, ast.Attribute):
        return "reason" in node.attr
    if isinstance(node, ast.Subscript):  # cleaned_data["reason"]
        key = node.slice
        return isinstance(key, ast.Constant) and "reason" in str(key.value)
    return False


def offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "len" and node.args:
            measured = _names_a_reason(node.args[0])
            found += [f"line {node.lineno}: len() of a reason"] if measured else []
        elif isinstance(func, ast.Attribute) and func.attr == "strip":
            trimmed = _names_a_reason(func.value)
            found += [f"line {node.lineno}: .strip() of a reason"] if trimmed else []
        elif isinstance(func, ast.Attribute) and func.attr == "category":
            own = "reason" in source
            found += [f"line {node.lineno}: its own Unicode category filter"] if own else []
    return found


def test_no_module_checks_a_reason_by_itself() -> None:
    problems = [
        f"{path.relative_to(ROOT)} {offence}"
        for path in sorted(ROOT.joinpath("kapclinic").rglob("*.py"))
        if path != HELPER and "tests" not in path.parts and "migrations" not in path.parts
        for offence in offences(path.read_text(encoding="utf-8"))
    ]
    assert problems == [], "use kapclinic.core.reasons.clean_reason:\n" + "\n".join(problems)


def test_the_check_finds_each_kind_of_copy() -> None:
    source = (
        "def f(reason, form):\n"
        "    reason = reason.strip()\n"
        "    if len(reason) < 10: pass\n"
        "    form.cleaned_data['reason'].strip()\n"
        "    unicodedata.category(reason)\n"
    )
    assert len(offences(source)) == 4
