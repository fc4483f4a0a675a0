"""Questionnaires given by staff in the clinic (tablet-friendly), one-time links for the
patient's phone, and the public page those links open (no sign-in)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.actor import PATIENT_BY_LINK, AnyActor
from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.accounts.views import recheck_password
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.exceptions import AssessmentError, LinkRefusedError
from kapclinic.measurement.instruments import Instrument
from kapclinic.measurement.instruments.definition import AlertSeverity, Item
from kapclinic.measurement.instruments.skiplogic import visible_items
from kapclinic.measurement.licensing.selectors import list_instrument_choices
from kapclinic.measurement.models import Assessment, Mode, Occasion
from kapclinic.measurement.responses import patient_mode
from kapclinic.measurement.responses.selectors import (
    access_assessment,
    find_linked_assessment,
    is_completed,
    list_patient_assessments,
)
from kapclinic.measurement.responses.services import (
    amend_assessment,
    complete_assessment,
    enter_in_error,
    instrument_of,
    issue_link,
    open_link,
    parse_answers,
    save_answers,
    start_assessment,
)
from kapclinic.measurement.safety.selectors import has_urgent_task, list_assessment_tasks
from kapclinic.patients.access import access_patient, access_record
from kapclinic.patients.selectors import PatientAccess

# The browser session key that carries an opened one-time link's response (never in the URL).
LINK_SESSION_KEY = "questionnaire_link_assessment"


@dataclass(frozen=True)
class Question:
    item: Item
    number: int
    value: int | None
    error: bool


def questions(
    instrument: Instrument, answers: dict[str, int], errors: tuple[str, ...] = ()
) -> list[Question]:
    """The items asked with these answers (skip logic), numbered as shown."""
    return [
        Question(item=item, number=n, value=answers.get(item.id), error=item.id in errors)
        for n, item in enumerate(visible_items(instrument, answers), start=1)
    ]


def _assessment(request: ClinicRequest, public_id: UUID) -> tuple[Assessment, PatientAccess]:
    """An assessment of a patient the user may give questionnaires to, else 404."""
    return access_record(
        request, access_assessment, public_id, action=MeasurementAuditAction.ASSESSMENT_OPENED
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def patient_questionnaires(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """The patient's questionnaires: start one in the clinic or for a link."""
    access = access_patient(request, public_id, action=MeasurementAuditAction.QUESTIONNAIRES_OPENED)
    patient = access.patient
    error = ""
    choices = list_instrument_choices(patient.clinic_id)
    if request.method == "POST":
        code = request.POST.get("instrument", "")
        occasion = request.POST.get("occasion", Occasion.AD_HOC)
        mode = Mode.LINK if request.POST.get("mode") == Mode.LINK else Mode.STAFF
        if code not in {c.instrument.code for c in choices}:
            error = "Choose a questionnaire from the list."
        elif occasion not in Occasion.values:
            error = "Choose when the questionnaire is taken."
        else:
            try:
                assessment = start_assessment(
                    actor=access.actor,
                    patient=patient,
                    instrument_code=code,
                    mode=mode,
                    occasion=Occasion(occasion),
                )
            except AssessmentError as refused:
                error = refused.message
            else:
                if mode == Mode.LINK:
                    return _show_new_link(request, access, assessment)
                return redirect("measurement:administer", public_id=assessment.public_id)
    rows = list_patient_assessments(patient)
    return render(
        request,
        "measurement/patient_questionnaires.html",
        {
            "patient": patient,
            "access": access,
            "choices": choices,
            "unavailable": [c for c in choices if not c.available],
            "occasions": Occasion.choices,
            "default_occasion": Occasion.AD_HOC,
            "rows": rows,
            "error": error,
        },
        status=422 if error else 200,
    )


def _show_new_link(
    request: ClinicRequest, access: PatientAccess, assessment: Assessment
) -> HttpResponse:
    token = issue_link(actor=access.actor, assessment=assessment, now=timezone.now())
    url = request.build_absolute_uri(reverse("questionnaire-link", args=[token]))
    # Shown once (only its hash is kept): never redirect with it, never log it.
    response = render(
        request,
        "measurement/link_issued.html",
        {"patient": access.patient, "assessment": assessment, "url": url},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def new_link(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """A fresh link for an unfinished questionnaire (the earlier links stop working)."""
    assessment, access = _assessment(request, public_id)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        messages.error(request, "This questionnaire is already finished: no link is needed.")
        return redirect("measurement:administer", public_id=assessment.public_id)
    return _show_new_link(request, access, assessment)


def _apply_answers(
    request: HttpRequest, assessment: Assessment, *, actor: AnyActor
) -> tuple[str, dict[str, int], tuple[str, ...], str]:
    """Apply a POST of the questionnaire form: ("saved" | "completed" | "error", answers shown,
    items in error, message)."""
    instrument = instrument_of(assessment)
    raw = {k: v for k, v in request.POST.items() if isinstance(v, str)}
    try:
        posted = parse_answers(instrument, raw)
        if request.POST.get("action") == "complete":
            done = complete_assessment(
                actor=actor, assessment=assessment, answers=posted, now=timezone.now()
            )
            return "completed", done.assessment.answers, (), ""
        saved = save_answers(actor=actor, assessment=assessment, answers=posted)
    except AssessmentError as error:
        if request.POST.get("action") == "complete" and is_completed(assessment):
            # Finished by a request that crossed this one (a second tap, a browser's retry):
            # finishing is done, so it is not an error.
            return "completed", assessment.answers, (), ""
        shown = {**assessment.answers}
        with contextlib.suppress(AssessmentError):
            shown.update(parse_answers(instrument, raw))
        return "error", shown, error.items, error.message
    return "saved", saved.answers, (), ""


def late_save(request: HttpRequest) -> HttpResponse | None:
    """For a questionnaire no longer in progress: an htmx save that arrives after it was
    finished (queued behind Finish) gets 204, nothing to save and nothing to swap, since the page
    is already on its way to the thank-you page. None for any other request."""
    return HttpResponse(status=204) if request.headers.get("HX-Request") else None


def answer_questionnaire(
    request: HttpRequest,
    assessment: Assessment,
    *,
    actor: AnyActor,
    form_action: str,
    page_template: str,
    context: dict[str, Any],
) -> HttpResponse | None:
    """The one questionnaire flow of the tablet, the one-time link page and the portal: show the
    form, or apply a POST. Returns None once the response is completed (the caller redirects).

    To a full page request: the whole page. To an htmx save: only the "saved" line, unless the
    answer changed which questions are asked or was refused, when the whole form goes back
    (retargeted), so answers tapped meanwhile are never swapped away."""
    instrument = instrument_of(assessment)
    if not instrument.has_texts:
        return _cannot_show(request, assessment, instrument, page_template, context)
    answers = dict(assessment.answers)
    asked_before = [item.id for item in visible_items(instrument, answers)]
    errors: tuple[str, ...] = ()
    status, message = "shown", ""
    if request.method == "POST":
        status, answers, errors, message = _apply_answers(request, assessment, actor=actor)
        if status == "completed":
            return None
    shown = questions(instrument, answers, errors)
    full = {
        **context,
        "assessment": assessment,
        "instrument": instrument,
        "questions": shown,
        "message": message,
        "saved": status == "saved",
        "form_action": form_action,
    }
    code = 422 if status == "error" else 200
    if not request.headers.get("HX-Request"):
        return render(request, page_template, full, status=code)
    if status == "saved" and [q.item.id for q in shown] == asked_before:
        return render(request, "measurement/partials/_save_status.html", full)
    # htmx swaps 200 responses only; a refused answer is shown in the form all the same.
    response = render(request, "measurement/partials/_questionnaire_form.html", full)
    response["HX-Retarget"] = "#questionnaire-form"
    response["HX-Reswap"] = "outerHTML"
    return response


# Shown to staff and patients alike when a response's licensed wording was retired meanwhile.
CANNOT_SHOW = (
    "This questionnaire cannot be shown now: the clinic's licensed wording for it is no longer "
    "in use. The answers given so far are kept; the care team will give it another way."
)


def _cannot_show(
    request: HttpRequest,
    assessment: Assessment,
    instrument: Instrument,
    page_template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The page without its questions (nothing is saved): a licensed instrument whose wording
    the clinic retired while this response was in progress (licensing.services)."""
    full = {**context, "assessment": assessment, "instrument": instrument, "unavailable": True}
    full["message"] = CANNOT_SHOW
    if not request.headers.get("HX-Request"):
        return render(request, page_template, full, status=409)
    # htmx swaps 200 responses only: the form is replaced by the message.
    response = render(request, "measurement/partials/_questionnaire_form.html", full)
    response["HX-Retarget"] = "#questionnaire-form"
    response["HX-Reswap"] = "outerHTML"
    return response


@require_http_methods(["GET", "POST"])
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def administer(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Give a questionnaire in the clinic (tablet): answers save as they are chosen (htmx) or
    with Save; Complete scores it. A finished one shows its result."""
    assessment, access = _assessment(request, public_id)
    handed = patient_mode.is_active_for(request.session, assessment)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        if handed:  # the patient still holds the tablet: thanks, never the staff result
            return late_save(request) or _patient_mode_thanks(request, assessment)
        return late_save(request) or _result(request, assessment, access)
    here = reverse("measurement:administer", args=[assessment.public_id])
    response = answer_questionnaire(
        request,
        assessment,
        actor=access.actor,
        form_action=here,
        page_template=(
            "measurement/patient_mode/questionnaire.html"
            if handed
            else "measurement/administer.html"
        ),
        context=patient_mode_context(assessment)
        if handed
        else {"patient": access.patient, "access": access},
    )
    return response or redirect(here)


def patient_mode_context(assessment: Assessment) -> dict[str, Any]:
    """What a patient-mode page may show: the clinic's and patient's names. Staff notices, the
    safety banner and staff messages are blanked (shown again once staff take the tablet back)."""
    return {
        "patient": assessment.patient,
        "clinic": assessment.clinic,
        "notices": [],
        "safety_banner": None,
        "messages": (),
    }


def _patient_mode_thanks(request: ClinicRequest, assessment: Assessment) -> HttpResponse:
    return render(
        request,
        "measurement/patient_mode/thanks.html",
        {**patient_mode_context(assessment), "urgent": has_urgent_task(assessment)},
    )


@require_POST
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def enter_patient_mode(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Hand the tablet to the patient: from now on this browser shows only the questionnaire
    until staff take it back with their password."""
    assessment, access = _assessment(request, public_id)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        messages.error(request, "This questionnaire is finished: there is nothing to hand over.")
        return redirect("measurement:administer", public_id=assessment.public_id)
    patient_mode.enter(actor=access.actor, assessment=assessment, session=request.session)
    return redirect("measurement:administer", public_id=assessment.public_id)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def leave_patient_mode(request: ClinicRequest) -> HttpResponse:
    """Take the tablet back: the staff member's password, checked with the sign-in's
    throttling (a wrong one is counted, a lockout signs the session out)."""
    public_id = patient_mode.active(request.session)
    if public_id is None:
        return redirect("today:home")
    try:
        assessment, access = _assessment(request, UUID(public_id))
    except (Http404, ValueError):  # gone or no longer allowed: nothing to hand back
        request.session.pop(patient_mode.SESSION_KEY, None)
        return redirect("today:home")
    error = ""
    if request.method == "POST":
        check = recheck_password(request, request.POST.get("password", ""), step="patient_mode")
        if check.signed_out is not None:
            return check.signed_out
        if check.ok:
            patient_mode.leave(
                actor=access.actor,
                assessment=assessment,
                session=request.session,
            )
            messages.success(request, "Patient mode ended: the tablet is back with staff.")
            return redirect("measurement:administer", public_id=assessment.public_id)
        error = "That password is not right. The questionnaire stays on this tablet."
    return render(
        request,
        "measurement/patient_mode/hand_back.html",
        {
            **patient_mode_context(assessment),
            "error": error,
            "finished": assessment.status != Assessment.Status.IN_PROGRESS,
            "questionnaire_url": reverse("measurement:administer", args=[assessment.public_id]),
        },
        status=422 if error else 200,
    )


def _result(request: ClinicRequest, assessment: Assessment, access: PatientAccess) -> HttpResponse:
    instrument = instrument_of(assessment)
    tasks = list_assessment_tasks(assessment)
    return render(
        request,
        "measurement/result.html",
        {
            "patient": access.patient,
            "access": access,
            "assessment": assessment,
            "instrument": instrument,
            "questions": questions(instrument, dict(assessment.answers)),
            "tasks": tasks,
            "urgent": AlertSeverity.URGENT,
            "amended_by": getattr(assessment, "amended_by", None)
            if assessment.status == Assessment.Status.AMENDED
            else None,
        },
    )


@require_POST
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def amend(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    assessment, access = _assessment(request, public_id)
    instrument = instrument_of(assessment)
    try:
        answers = parse_answers(instrument, {k: str(v) for k, v in request.POST.items()})
        amended = amend_assessment(
            actor=access.actor,
            original=assessment,
            answers=answers,
            reason=request.POST.get("reason", ""),
            now=timezone.now(),
        )
    except AssessmentError as error:
        messages.error(request, error.message)
        return redirect("measurement:administer", public_id=assessment.public_id)
    messages.success(request, "Amended: the corrected response replaces the original.")
    return redirect("measurement:administer", public_id=amended.public_id)


@require_POST
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def entered_in_error(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    assessment, access = _assessment(request, public_id)
    try:
        enter_in_error(
            actor=access.actor,
            assessment=assessment,
            reason=request.POST.get("reason", ""),
        )
    except AssessmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Marked entered in error: it no longer counts.")
    return redirect("measurement:administer", public_id=assessment.public_id)


# --- the patient's side of a one-time link (no sign-in) -------------------------------------


@login_not_required
@require_GET
def link_entry(request: HttpRequest, token: str) -> HttpResponse:
    """Open a one-time link: the link is spent, this browser session carries on at /q/."""
    try:
        assessment = open_link(token, now=timezone.now())
    except LinkRefusedError as error:
        return render(
            request, "measurement/link_refused.html", {"message": error.message}, status=410
        )
    request.session.cycle_key()
    request.session[LINK_SESSION_KEY] = str(assessment.public_id)
    return redirect("questionnaire")


@login_not_required
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest) -> HttpResponse:
    """The questionnaire a link opened in this browser session (phone-sized, no sign-in)."""
    public_id = request.session.get(LINK_SESSION_KEY)
    assessment = find_linked_assessment(public_id) if public_id else None
    if assessment is None:
        message = "This page works only from the link the clinic sent you. Ask for a new link."
        return render(request, "measurement/link_refused.html", {"message": message}, status=410)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        # A late save must not render the thank-you page: that ends the link's session, and the
        # page's own request for it would then be refused.
        return late_save(request) or _thanks(request, assessment)
    response = answer_questionnaire(
        request,
        assessment,
        actor=PATIENT_BY_LINK,
        form_action=reverse("questionnaire"),
        page_template="measurement/questionnaire_public.html",
        context={"clinic": assessment.clinic, "public": True},
    )
    return response or redirect("questionnaire")


def _thanks(request: HttpRequest, assessment: Assessment) -> HttpResponse:
    urgent = has_urgent_task(assessment)
    request.session.pop(LINK_SESSION_KEY, None)  # finished: the session no longer opens it
    return render(
        request,
        "measurement/questionnaire_thanks.html",
        {"clinic": assessment.clinic, "urgent": urgent},
    )
