"""Template tags of the pre-dose checklist (issue 15.3): the form of one item, and the
checklist summary the session page includes (``dosing/panels/checks.html``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.utils import timezone

from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.checklist import CheckResult
from kapclinic.dosing.services import checklist_of
from kapclinic.dosing.services.checklist import YES_NO
from kapclinic.scheduling.protocols.definition import CheckItem

register = template.Library()

QUESTIONS = {
    CheckItem.IDENTITY: "Identity confirmed with two identifiers?",
    CheckItem.MEDICATIONS: "Medication list reviewed with the patient?",
    CheckItem.REMS_ENROLMENT: "Patient's REMS enrolment recorded?",
    CheckItem.REMS_SETTING: "Setting's REMS certification recorded?",
    CheckItem.REMS_PRESCRIBER: "Prescriber on site now?",
    CheckItem.REMS_PULSE_OXIMETER: "Pulse oximeter available and working?",
}


@register.inclusion_tag("dosing/_check_form.html", takes_context=True)
def check_form(context: template.Context, row: Any, session: DosingSession) -> dict[str, Any]:
    item = row.result.item
    kind = "yes_no" if item in YES_NO else item.value
    return {
        "row": row,
        "session": session,
        "kind": kind,
        "question": QUESTIONS.get(item, ""),
        "csrf_token": context.get("csrf_token"),
    }


@dataclass(frozen=True)
class Summary:
    done: int
    total: int
    blocking: tuple[CheckResult, ...]


@register.simple_tag
def pre_dose_checklist(session: DosingSession) -> Summary:
    """The session's checklist now, for its summary panel (the one evaluation of the page)."""
    now = timezone.localtime(timezone.now(), session.clinic.tzinfo)
    results = checklist_of(session, now).results
    return Summary(
        done=sum(1 for r in results if r.clear),
        total=len(results),
        blocking=tuple(r for r in results if not r.clear),
    )
