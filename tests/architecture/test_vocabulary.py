"""Statuses, severities, outcomes, families and modes are compared as enum members (issue 12.3).

A field compared with text (``task.severity == "urgent"``, ``r.get("status") == "fired"``)
keeps working when the value is right and silently never matches when it is misspelt or the
enum changes; the member (``AlertSeverity.URGENT``) is checked by mypy and found by a search.
The vocabulary is every ``TextChoices`` or ``StrEnum`` of kapclinic whose name ends in Status,
StatusCode, Severity, Outcome, Family or Mode. Checked by parsing: in Python (not tests or
migrations), a comparison (``==``, ``!=``, ``in``, ``not in``) of a field (``x.field``,
``x["field"]``, ``x.get("field")``) with a string, or a tuple, list or set of strings, equal to
a value of the vocabulary; in templates, ``a.field == "value"`` (or ``!=``). A template reaches
the member through the model (``task.Status.OPEN``, ``screening.Outcome.NOT_ELIGIBLE``) or a
context variable the view passes (``urgent``, ``by_link``, ``codes``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
VOCABULARY_NAME: Final = re.compile(r"(Status|StatusCode|Severity|Outcome|Family|Mode)$")
ENUM_BASES: Final = ("TextChoices", "StrEnum")
TEMPLATE_COMPARISON: Final = re.compile(
    r"""(?P<field>\w+(?:\.\w+)+)\s*(?:==|!=)\s*["'](?P<value>[^"']*)["']"""
    r"""|["'](?P<value2>[^"']*)["']\s*(?:==|!=)\s*(?P<field2>\w+(?:\.\w+)+)"""
)
# "path: code" -> why text is right there. Adding an entry is a design decision: say why.
ALLOWED: Final[dict[str, str]] = {}


def _skipped(path: Path) -> bool:
    return "tests" in path.parts or "migrations" in path.parts


def python_modules() -> list[Path]:
    return [p for p in sorted((ROOT / "kapclinic").rglob("*.py")) if not _skipped(p)]


def templates() -> list[Path]:
    return [p for p in sorted((ROOT / "kapclinic").rglob("*.html")) if not _skipped(p)]


def vocabulary(trees: list[ast.Module]) -> dict[str, set[str]]:
    """Each value of a status, severity, outcome, family or mode enum -> the enums with it."""
    found: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef) or not VOCABULARY_NAME.search(node.name):
                continue
            if not any(ast.unparse(base).endswith(ENUM_BASES) for base in node.bases):
                continue
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                value = statement.value
                if isinstance(value, ast.Tuple) and value.elts:
                    value = value.elts[0]  # TextChoices: (value, label)
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.setdefault(value.value, set()).add(node.name)
    return found


def _text(node: ast.expr) -> list[str]:
    """The strings of a string literal, or of a tuple, list or set of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [s for element in node.elts for s in _text(element)]
    return []


def _is_field(node: ast.expr) -> bool:
    """``x.field``, ``x["field"]`` or ``x.get("field")``."""
    if isinstance(node, ast.Attribute):
        return True
    if isinstance(node, ast.Subscript):
        return bool(_text(node.slice))
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and bool(node.args)
        and bool(_text(node.args[0]))
    )


def text_comparisons(tree: ast.Module, values: set[str]) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        if not any(_is_field(operand) for operand in operands):
            continue
        if any(text in values for operand in operands for text in _text(operand)):
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def template_comparisons(source: str, values: set[str]) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        for match in TEMPLATE_COMPARISON.finditer(line):
            if (match["value"] if match["field"] else match["value2"]) in values:
                found.append((number, match.group(0)))
    return found


def problems() -> list[str]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in python_modules()}
    values = set(vocabulary(list(trees.values())))
    found = [
        (path, line, code)
        for path, tree in trees.items()
        for line, code in text_comparisons(tree, values)
    ]
    found += [
        (path, line, code)
        for path in templates()
        for line, code in template_comparisons(path.read_text(encoding="utf-8"), values)
    ]
    return [
        f"{path.relative_to(ROOT)}:{line}: {code} compares a field with text: use the enum member"
        for path, line, code in found
        if f"{path.relative_to(ROOT)}: {code}" not in ALLOWED
    ]


def test_fields_are_compared_with_enum_members_not_text() -> None:
    found = problems()
    assert not found, "\n".join(found)


def test_the_vocabulary_holds_the_project_enums() -> None:
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in python_modules()]
    found = vocabulary(trees)
    assert found["fired"] == {"RuleStatus"}
    assert found["urgent"] == {"AlertSeverity"}
    assert found["not_eligible"] == {"Outcome", "ScreeningOutcome", "DecisionOutcome"}
    assert found["esketamine"] == {"Family", "ProtocolFamily"}
    assert found["link"] == {"Mode"}
    assert "awaiting_countersignature" in found  # ConsentStatusCode
    assert "active" in found  # Diagnosis.Status, RecordStatus, ...


def test_the_check_finds_text_compared_with_a_field() -> None:
    values = {"fired", "not_eligible", "open"}
    source = (
        'a = r.get("status") == "fired"\n'
        'b = decision.outcome != "not_eligible"\n'
        'c = task["status"] in ("open", "x")\n'
        'd = status == "open"\n'  # a local name, not a field
        'e = "open" in showcase[clinic]\n'  # a set indexed by a non-text key
    )
    assert [line for line, _ in text_comparisons(ast.parse(source), values)] == [1, 2, 3]
    template = '{% if task.status == "open" %}{% if "fired" != r.status %}{% if x == "open" %}'
    assert len(template_comparisons(template, values)) == 2
