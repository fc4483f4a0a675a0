"""Services and selectors take the actor as one typed value (issue 12.5, DEVELOPERS.md).

Who acts is ``kapclinic.accounts.actor.Actor`` (the user, their roles, the clinic), built once
per request, or ``AnyActor`` where a job or a one-time link may act on nobody's behalf. This
test reads every module of kapclinic/ (tests and migrations left out) and fails when:

- a function takes the actor's roles as a loose ``Iterable[str]`` parameter again
  (``roles: Iterable[str]``, ``actor_roles: Iterable[str]``), next to or instead of an actor;
- a function types its ``actor`` as ``Any`` (or not at all);
- a public service or selector types its ``actor`` as anything but ``Actor`` or ``AnyActor``.

``ALLOWED`` names the few functions whose ``roles`` are not an actor's: roles to look for, or
the audit writer below the accounts layer. It only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
ACTOR_TYPES: Final = frozenset({"Actor", "AnyActor"})
# Modules that hold services and selectors (their names, or the measurement helpers that are
# services by another name).
SERVICE_MODULES: Final = ("services", "selectors", "auditing", "state", "hooks", "policy")

# (module, function) -> why its parameter is not an actor's roles.
ALLOWED: Final[dict[tuple[str, str], str]] = {
    ("kapclinic/audit/services.py", "record"): (
        "the audit writer sits below accounts (import-linter layers): it stores the actor's "
        "roles as given, from actor.roles"
    ),
    ("kapclinic/accounts/permissions.py", "allows"): "the matrix lookup that Actor.can uses",
    ("kapclinic/accounts/services/staffing.py", "grantable_roles"): "roles held -> grantable",
    ("kapclinic/accounts/selectors.py", "staff_holding"): "the roles to look for",
    ("kapclinic/accounts/selectors.py", "list_holders_of"): "the roles to look for",
    ("kapclinic/screening/services.py", "_active_member"): "the roles to look for",
    ("kapclinic/today/todo.py", "specs_for"): "which to-do lists roles get (no actor, no audit)",
    ("kapclinic/today/todo.py", "list_todo"): "which to-do lists roles get (no actor, no audit)",
    ("kapclinic/today/todo.py", "count_todo"): "which to-do lists roles get (no actor, no audit)",
    ("kapclinic/today/todo.py", "todo_count_fields"): (
        "which to-do lists roles get (no actor, no audit)"
    ),
}
# (module, function) -> why its ``actor`` is a user, not an Actor.
NOT_AN_ACTOR: Final[dict[tuple[str, str], str]] = {
    ("kapclinic/accounts/services/signin.py", "record_sign_in_failure"): (
        "the account a failed sign-in was for (possibly none), before anyone is signed in"
    ),
    ("kapclinic/accounts/services/signin.py", "refused_while_locked"): (
        "the account a refused sign-in was for (possibly none), before anyone is signed in"
    ),
    ("kapclinic/audit/services.py", "record"): (
        "the audit writer sits below accounts (import-linter layers): callers pass actor.user"
    ),
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((ROOT / "kapclinic").rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    arguments = function.args
    return [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]


def _is_service_module(module: str) -> bool:
    return Path(module).stem in SERVICE_MODULES or "/services/" in module


def violations() -> list[str]:
    found = []
    for module, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            where = f"{module}:{node.lineno} {node.name}()"
            for parameter in _parameters(node):
                annotation = ast.unparse(parameter.annotation) if parameter.annotation else ""
                if (
                    parameter.arg in {"roles", "actor_roles"}
                    and "Iterable[str]" in annotation
                    and (module, node.name) not in ALLOWED
                ):
                    found.append(f"{where}: `{parameter.arg}: {annotation}`; take `actor: Actor`")
                if parameter.arg != "actor":
                    continue
                if annotation in {"", "Any", "typing.Any"}:
                    found.append(f"{where}: `actor` typed {annotation or 'nothing'}")
                elif (
                    _is_service_module(module)
                    and not node.name.startswith("_")
                    and (module, node.name) not in NOT_AN_ACTOR
                    and annotation.removesuffix(" | None") not in ACTOR_TYPES
                ):
                    found.append(f"{where}: `actor: {annotation}`; take `actor: Actor`")
    return found


def test_services_and_selectors_take_the_actor_as_one_typed_value() -> None:
    assert violations() == []


def test_the_allowances_name_functions_that_exist() -> None:
    defined = {
        (module, node.name)
        for module, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert set(ALLOWED) | set(NOT_AN_ACTOR) <= defined
