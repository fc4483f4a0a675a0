"""The pre-dose checklist page of a dosing session (issue 15.3).

Each item is recorded without a reload (htmx answers the checklist again, with its error if
the service refused); without JavaScript the forms post and the page comes back. The services
decide everything: the page only reads what was typed and shows their answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kapclinic.accounts.permissions import (
    ROLE_LABELS,
    Capability,
    current_clinic,
    requires,
    roles_with,
)
from kapclinic.accounts.types import ClinicRequest
from kapclinic.dosing import selectors, services
from kapclinic.dosing.checks_forms import CheckForm, OverrideForm, at_or_before, readings
from kapclinic.dosing.models import CheckAnswer, CheckOverride, DosingSession
from kapclinic.dosing.rules.checklist import CheckResult, CheckStatus
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services import DosingError, SessionHeldError
from kapclinic.dosing.services.checklist import (
    NEVER_WHY,
    OPEN_STATES,
    OVERRIDE_CAPABILITY,
    RECORDED,
)
from kapclinic.dosing.services.facts import Checklist
from kapclinic.scheduling.protocols.definition import CheckItem

STATUS_LABELS = {
    CheckStatus.PASSED: "Passed",
    CheckStatus.PENDING: "To do",
    CheckStatus.FAILED: "Not passed",
    CheckStatus.HELD: "Held",
    CheckStatus.OVERRIDDEN: "Overridden",
    CheckStatus.NOT_APPLICABLE: "Does not apply",
}


@dataclass(frozen=True)
class Row:
    """One item as the page shows it."""

    result: CheckResult
    answer: CheckAnswer | None
    override: CheckOverride | None
    recordable: bool
    error: str
    typed: dict[str, Any]

    @property
    def item(self) -> str:
        return self.result.item.value

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.result.status]

    @property
    def who_overrides(self) -> str:
        if not self.result.overridable:
            return f"Nobody overrides this: {NEVER_WHY[self.result.item]}."
        roles = " or ".join(ROLE_LABELS[r].lower() for r in roles_with(OVERRIDE_CAPABILITY))
        return f"A {roles} may override it with a reason."


def _now(session: DosingSession) -> datetime:
    return timezone.localtime(timezone.now(), session.clinic.tzinfo)


def _context(
    session: DosingSession,
    checklist: Checklist,
    *,
    error_item: str = "",
    error: str = "",
    typed: dict[str, Any] | None = None,
    message: str = "",
) -> dict[str, Any]:
    rows = [
        Row(
            result=result,
            answer=checklist.answers.get(result.item),
            override=checklist.overrides.get(result.item),
            recordable=result.item in RECORDED | {CheckItem.ESCORT, CheckItem.VITALS},
            error=error if error_item == result.item.value else "",
            typed=(typed or {}) if error_item == result.item.value else {},
        )
        for result in checklist.results
    ]
    return {
        "session": session,
        "checklist": checklist,
        "rows": rows,
        "done": sum(1 for r in checklist.results if r.clear),
        "editable": session.current in OPEN_STATES,
        "message": message,
        # An error about an item the checklist does not show is shown above it.
        "error": "" if any(row.error for row in rows) else error,
    }


def _answer(
    request: ClinicRequest,
    session: DosingSession,
    *,
    status: int = 200,
    saved: bool = False,
    **kwargs: Any,
) -> HttpResponse:
    """htmx: the checklist again (200 either way: it carries its own error); else the page
    (a redirect after a change, the page with the error otherwise)."""
    if request.headers.get("HX-Request") != "true" and saved:
        messages.success(request, kwargs.get("message") or "Saved.")
        return redirect("dosing:checks", session.public_id)
    context = _context(session, services.checklist_of(session, _now(session)), **kwargs)
    if request.headers.get("HX-Request") == "true":
        return render(request, "dosing/_checklist.html", context)
    return render(request, "dosing/checks.html", context, status=status)


@require_GET
@requires(Capability.VIEW_MONITORING)
def checks(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    session = selectors.access_session(current_clinic(request), session_id)
    return _answer(request, session)


def _record(request: ClinicRequest, session: DosingSession, data: dict[str, Any]) -> str:
    """Record one item through its service; the message to show."""
    item = data["item"]
    now = _now(session)
    if item == CheckItem.ESCORT.value:
        services.record_escort(
            actor=request.actor,
            session=session,
            escort_name=data["escort_name"] or "",
            no_driving_acknowledged=bool(data["no_driving"]),
            now=now,
        )
    elif item == CheckItem.VITALS.value:
        given = readings({kind.value: data[kind.value] for kind in _PRE_DOSE_VITALS})
        if not {VitalKind.SYSTOLIC.value, VitalKind.DIASTOLIC.value} <= set(given):
            msg = "Enter both halves of the blood pressure."
            raise DosingError(msg)
        services.record_vitals(
            actor=request.actor,
            session=session,
            readings={VitalKind(key): value for key, value in given.items()},
            taken_at=now,
            now=now,
        )
    else:
        services.record_check(
            actor=request.actor,
            session=session,
            item=item,
            answer=data["answer"] or "",
            now=now,
            last_food_at=at_or_before(data["last_food"], now),
            last_liquid_at=at_or_before(data["last_liquid"], now),
        )
    return "Saved."


_PRE_DOSE_VITALS = (VitalKind.SYSTOLIC, VitalKind.DIASTOLIC, VitalKind.HEART_RATE, VitalKind.SPO2)


@require_POST
@requires(Capability.RECORD_MEASUREMENTS)
def record(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    session = selectors.access_session(current_clinic(request), session_id)
    form = CheckForm(request.POST)
    typed = {key: request.POST.get(key, "") for key in form.fields}
    item = request.POST.get("item", "")
    if not form.is_valid():
        problems = [
            f"{form.fields[k].label or k}: {' '.join(str(m) for m in e)}"
            for k, e in form.errors.items()
        ]
        return _answer(
            request, session, status=422, error_item=item, error=" ".join(problems), typed=typed
        )
    try:
        message = _record(request, session, form.cleaned_data)
    except DosingError as refused:
        return _answer(
            request, session, status=422, error_item=item, error=refused.message, typed=typed
        )
    return _answer(request, session, saved=True, message=message)


@require_POST
@requires(OVERRIDE_CAPABILITY)
def override(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    session = selectors.access_session(current_clinic(request), session_id)
    form = OverrideForm(request.POST)
    item = request.POST.get("item", "")
    typed = {"reason": request.POST.get("reason", "")}
    if not form.is_valid():
        return _answer(
            request,
            session,
            status=422,
            error_item=item,
            error="Say why this check does not block the dose.",
            typed=typed,
        )
    try:
        services.override_check(
            actor=request.actor,
            session=session,
            item=form.cleaned_data["item"],
            reason=form.cleaned_data["reason"],
            now=_now(session),
        )
    except DosingError as refused:
        return _answer(
            request, session, status=422, error_item=item, error=refused.message, typed=typed
        )
    return _answer(request, session, saved=True, message="Override recorded.")


@require_POST
@requires(Capability.RECORD_MEASUREMENTS)
def passed(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    """Move the session to checks passed: ``move`` evaluates the checklist (and holds the
    session on a high blood pressure, R-SCR-4)."""
    session = selectors.access_session(current_clinic(request), session_id)
    try:
        session = services.move(
            actor=request.actor, session=session, target=State.CHECKS_PASSED, now=_now(session)
        )
    except SessionHeldError as held:
        return _answer(request, held.session, status=422, error=held.message)
    except DosingError as refused:
        return _answer(request, session, status=422, error=refused.message)
    return _answer(request, session, saved=True, message="Checks passed: the dose may be given.")
