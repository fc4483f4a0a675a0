"""Pages, forms, the JSON API and the portal never query a model themselves (issue 12.2).

They read through selectors (an app's ``selectors`` module: scoped to the clinic, 404 for
"missing" and "not yours" alike, audited where a read must be) and write through services, so
a model's manager in an interface module is a read that skipped them (docs/style.md §3.9, in
the spirit of zulip's semgrep rule). The modules checked: every ``views``/``forms`` module
(``views.py``, ``*_views.py``, ``views_*.py``, a ``views/`` package, the same for forms), every
``api*.py``, and all of ``kapclinic/portal`` and ``kapclinic/api``. Found by parsing (ast):
``<anything>.objects``, ``._default_manager``, ``._base_manager``, and ``get_object_or_404`` /
``get_list_or_404``, which query the model they are given.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
INTERFACE_PACKAGES: Final = ("kapclinic/api/", "kapclinic/portal/")
MANAGERS: Final = frozenset({"objects", "_default_manager", "_base_manager"})
SHORTCUTS: Final = frozenset({"get_object_or_404", "get_list_or_404"})
# "path: code" -> why it cannot go through a selector. Adding an entry is a design decision:
# say why next to it.
ALLOWED: Final[dict[str, str]] = {}


def _named(stem: str, word: str) -> bool:
    return stem == word or stem.startswith(f"{word}_") or stem.endswith(f"_{word}")


def is_interface_module(relative: str) -> bool:
    path = Path(relative)
    if "tests" in path.parts or "migrations" in path.parts:
        return False
    if relative.startswith(INTERFACE_PACKAGES):
        return True
    if path.stem.startswith("api"):
        return True
    return any(_named(path.stem, w) or path.parent.name == w for w in ("views", "forms"))


def interface_modules() -> list[str]:
    found = (path.relative_to(ROOT).as_posix() for path in (ROOT / "kapclinic").rglob("*.py"))
    return sorted(relative for relative in found if is_interface_module(relative))


def queries_in(source: str) -> list[tuple[int, str]]:
    """(line, code) of each model query written in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if isinstance(node.func, ast.Attribute):
                name = node.func.attr
            if name in SHORTCUTS:
                found.append((node.lineno, ast.unparse(node.func)))
    return sorted(found)


def problems(modules: list[str], allowed: dict[str, str]) -> list[str]:
    found = []
    for relative in modules:
        source = (ROOT / relative).read_text(encoding="utf-8")
        for line, code in queries_in(source):
            if f"{relative}: {code}" not in allowed:
                found.append(
                    f"{relative}:{line}: {code} queries a model in an interface module: "
                    "read through a selector of the model's app (selectors.py)"
                )
    return found


def test_interface_modules_query_models_only_through_selectors() -> None:
    found = problems(interface_modules(), ALLOWED)
    assert not found, "\n".join(found)


def test_every_allowed_query_still_exists() -> None:
    written = {
        f"{relative}: {code}"
        for relative in interface_modules()
        for _, code in queries_in((ROOT / relative).read_text(encoding="utf-8"))
    }
    assert sorted(set(ALLOWED) - written) == []


def test_the_modules_checked_are_the_interface_ones() -> None:
    modules = interface_modules()
    assert {
        "kapclinic/api/api.py",
        "kapclinic/portal/views.py",
        "kapclinic/portal/progress.py",
        "kapclinic/patients/merge_views.py",
        "kapclinic/screening/policy_views.py",
        "kapclinic/measurement/responses/views.py",
        "kapclinic/patients/forms.py",
        "kapclinic/measurement/plans/forms.py",
    } <= set(modules)
    assert not {"kapclinic/patients/selectors.py", "kapclinic/portal/tests/__init__.py"} & set(
        modules
    )
    assert is_interface_module("kapclinic/dosing/views/session.py")


def test_the_check_finds_managers_and_shortcuts_however_written() -> None:
    source = """
from django.shortcuts import get_object_or_404
from kapclinic.patients import models

def page(request, public_id):
    a = models.Patient.objects.filter(public_id=public_id)
    b = type(request.clinic)._default_manager.get(pk=1)
    c = get_object_or_404(models.Patient, public_id=public_id)
    return a, b, c, page.objects_seen
"""
    assert queries_in(source) == [
        (6, "models.Patient.objects"),
        (7, "type(request.clinic)._default_manager"),
        (8, "get_object_or_404"),
    ]
