"""The audit trail speaks one vocabulary: each app's catalogue of actions (issue 12.3).

Every action an app writes is a member of its catalogue (``<app>/audit_actions.py``, a subclass
of ``kapclinic.audit.actions.AuditAction``), and ``record()`` and the selectors that audit a read
take a member, never a string: mypy --strict refuses a ``str``, and this test refuses a string
literal in an action's place even where a ``cast`` or an ignore would get past mypy. The audit
report's filter and labels read the catalogues from ``kapclinic/oversight/catalogue.py``, so
each catalogue must be collected there, and no two members may store the same text (the report
could not tell them apart). A value is stored in the trail and covered by its hash chain: once
released it never changes (``RELEASED``; add a new action's value once it ships).
"""

from __future__ import annotations

import ast
import importlib
from collections import Counter
from pathlib import Path
from typing import Final

from kapclinic.audit.actions import AuditAction
from kapclinic.oversight.catalogue import CATALOGUES

ROOT: Final = Path(__file__).resolve().parents[2]
CATALOGUE_MODULE: Final = "audit_actions.py"

# Every action value written before the catalogues existed, and each added since: stored in
# entries that must still verify, so none may disappear or change.
RELEASED: Final = frozenset(
    {
        "access.break_glass_opened",
        "access.invitation_sent",
        "access.role_ended",
        "access.role_granted",
        "audit.exported",
        "audit.report_viewed",
        "auth.2fa_enrolled",
        "auth.2fa_failed",
        "auth.2fa_reset",
        "auth.idle_timeout",
        "auth.invitation_accepted",
        "auth.link_failed",
        "auth.link_sent",
        "auth.link_used",
        "auth.lockout",
        "auth.login",
        "auth.login_failed",
        "auth.login_refused",
        "auth.logout",
        "auth.password_accepted",
        "auth.password_changed",
        "auth.recovery_code_used",
        "auth.recovery_codes_regenerated",
        "auth.sign_out_everywhere",
        "clinic.hours_changed",
        "clinic.room_added",
        "clinic.room_changed",
        "clinic.updated",
        "consent.countersign_opened",
        "consent.countersigned",
        "consent.document_published",
        "consent.patient_opened",
        "consent.patient_signed",
        "consent.signature_form_opened",
        "consent.withdrawal_opened",
        "consent.withdrawn",
        "measurement.amended",
        "measurement.answers_saved",
        "measurement.assessment_opened",
        "measurement.assignment_amended",
        "measurement.assignment_cancelled",
        "measurement.assignment_completed",
        "measurement.assignment_link_sent",
        "measurement.assignment_missed",
        "measurement.assignment_opened",
        "measurement.assignment_reopened",
        "measurement.assignment_started",
        "measurement.completed",
        "measurement.course_ended",
        "measurement.due_read_by_api",
        "measurement.enrol_opened",
        "measurement.enrolled",
        "measurement.enrolment_ended",
        "measurement.entered_in_error",
        "measurement.licensed_wording_loaded",
        "measurement.licensed_wording_retired",
        "measurement.link_issued",
        "measurement.link_opened",
        "measurement.outcome_chart_viewed",
        "measurement.patient_mode_entered",
        "measurement.patient_mode_left",
        "measurement.plan_created",
        "measurement.questionnaires_opened",
        "measurement.recorded",
        "measurement.safety_task_acknowledge_opened",
        "measurement.safety_task_acknowledged",
        "measurement.safety_task_escalated",
        "measurement.safety_task_evaluate_opened",
        "measurement.safety_task_evaluated",
        "measurement.safety_task_opened",
        "measurement.session_cancelled",
        "measurement.session_ended",
        "measurement.session_scheduled",
        "measurement.started",
        "patients.accessed_for_a_write",
        "patients.allergy_added",
        "patients.chart_viewed",
        "patients.contacts_changed",
        "patients.contacts_opened",
        "patients.demographics_changed",
        "patients.demographics_opened",
        "patients.diagnoses_opened",
        "patients.diagnosis_added",
        "patients.diagnosis_primary_changed",
        "patients.diagnosis_status_changed",
        "patients.history_opened",
        "patients.history_status_changed",
        "patients.listed_by_api",
        "patients.measurement_recorded",
        "patients.measurements_opened",
        "patients.medication_added",
        "patients.merge_opened",
        "patients.merged_from",
        "patients.merged_into",
        "patients.read_by_api",
        "patients.registered",
        "patients.searched",
        "patients.timeline_viewed",
        "referrals.clinician_recorded",
        "referrals.linked_to_existing_patient",
        "referrals.registered",
        "referrals.self_submitted",
        "referrals.triaged",
        "scheduling.protocol_published",
        "scheduling.protocol_retired",
        "scheduling.appointment_attended",
        "scheduling.appointment_booked",
        "scheduling.appointment_cancelled",
        "scheduling.appointment_moved",
        "scheduling.appointment_no_show",
        "scheduling.appointment_read_by_api",
        "scheduling.appointment_viewed",
        "scheduling.appointments_listed_by_api",
        "scheduling.appointments_viewed",
        "scheduling.course_completed",
        "scheduling.course_paused",
        "scheduling.course_planned",
        "scheduling.course_planner_opened",
        "scheduling.course_read_by_api",
        "scheduling.course_resumed",
        "scheduling.course_started",
        "scheduling.course_stopped",
        "scheduling.courses_listed_by_api",
        "scheduling.feed_issued",
        "scheduling.feed_revoked",
        "scheduling.leave_recorded",
        "scheduling.leave_removed",
        "scheduling.reminder_hours_changed",
        "scheduling.reminder_sent",
        "scheduling.waitlist_added",
        "scheduling.waitlist_booked",
        "scheduling.waitlist_withdrawn",
        "scheduling.working_hours_changed",
        "screening.decision_signed",
        "screening.entered_in_error",
        "screening.entered_in_error_opened",
        "screening.flag_overridden",
        "screening.form_opened",
        "screening.history_viewed",
        "screening.override_opened",
        "screening.policy_changed",
        "screening.recorded",
        "screening.sign_opened",
        "screening.viewed",
    }
)


def catalogued() -> list[type[AuditAction]]:
    return [catalogue for _, catalogue in CATALOGUES]


def source_modules() -> list[Path]:
    """kapclinic's modules but tests and migrations."""
    return [
        path
        for path in sorted((ROOT / "kapclinic").rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def defined_catalogues() -> set[type[AuditAction]]:
    """The AuditAction subclasses each app's audit_actions module defines."""
    found: set[type[AuditAction]] = set()
    for path in source_modules():
        if path.name != CATALOGUE_MODULE:
            continue
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found.update(
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, AuditAction)
            and value is not AuditAction
            and value.__module__ == module.__name__
        )
    return found


def _is_text(node: ast.expr) -> bool:
    """A string literal, an f-string, text glued together from them, or text cast."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("cast"):
        return any(_is_text(arg) for arg in node.args)
    return isinstance(node, ast.BinOp) and (_is_text(node.left) or _is_text(node.right))


def action_parameters(trees: list[ast.Module]) -> dict[str, int | None]:
    """Functions (by name) whose ``action`` parameter takes an audit action -> its position
    (None when keyword-only)."""
    found: dict[str, int | None] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            positional = [*node.args.posonlyargs, *node.args.args]
            for index, arg in enumerate([*positional, *node.args.kwonlyargs]):
                annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                if arg.arg == "action" and "AuditAction" in annotation:
                    found[node.name] = index if index < len(positional) else None
    return found


def _docstrings(tree: ast.Module) -> set[int]:
    nodes = (
        n for n in ast.walk(tree) if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
    )
    return {
        id(node.body[0].value)
        for node in nodes
        if node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def literal_actions(
    tree: ast.Module, parameters: dict[str, int | None], values: frozenset[str]
) -> list[tuple[int, str]]:
    """(line, code) of each string passed where an audit action goes, and of each string equal
    to a catalogued value (a dict of actions, a tuple assigned to ``action``...)."""
    found = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in values and id(node) not in docstrings:
            found.append((node.lineno, ast.unparse(node)))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in parameters:
            continue
        given = [k.value for k in node.keywords if k.arg == "action"]
        index = parameters[name]
        if index is not None and index < len(node.args):
            given.append(node.args[index])
        found.extend(
            (node.lineno, f"{name}(action={ast.unparse(value)})")
            for value in given
            if _is_text(value) and not (isinstance(value, ast.Constant) and value.value in values)
        )
    return sorted(found)


def problems(paths: list[Path], values: frozenset[str]) -> list[str]:
    modules = [path for path in paths if path.name != CATALOGUE_MODULE]
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in modules}
    parameters = action_parameters(list(trees.values()))
    return [
        f"{path.relative_to(ROOT)}:{line}: {code} is text in an audit action's place: use the "
        "member of the app's catalogue (<app>/audit_actions.py), adding it there if it is new"
        for path, tree in trees.items()
        for line, code in literal_actions(tree, parameters, values)
    ]


def test_no_string_is_passed_as_an_audit_action() -> None:
    values = frozenset(action.value for catalogue in catalogued() for action in catalogue)
    found = problems(source_modules(), values)
    assert not found, "\n".join(found)


def test_the_check_sees_the_functions_that_take_an_audit_action() -> None:
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in source_modules()]
    parameters = action_parameters(trees)
    assert {"record", "access_patient", "audited_page_of_patients", "record_event"} <= set(
        parameters
    )
    assert parameters["record"] is None


def test_every_catalogue_is_collected_for_the_audit_report() -> None:
    defined = defined_catalogues()
    assert defined, "no <app>/audit_actions.py defines a catalogue"
    assert defined == set(catalogued()), (
        "add each catalogue to CATALOGUES in kapclinic/oversight/catalogue.py"
    )


def test_every_stored_action_is_unique_across_catalogues() -> None:
    counts = Counter(action.value for catalogue in catalogued() for action in catalogue)
    repeated = sorted(value for value, count in counts.items() if count > 1)
    assert not repeated, f"stored by two members: {repeated}"


def test_a_released_action_keeps_its_stored_text() -> None:
    values = {action.value for catalogue in catalogued() for action in catalogue}
    assert not RELEASED - values, (
        f"{sorted(RELEASED - values)} are stored in the audit trail: keep them catalogued"
    )
