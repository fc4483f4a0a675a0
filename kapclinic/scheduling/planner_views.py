"""The course planner page (issue 13.3): from a patient's chart, the protocol and the patient's
availability in, the whole course out as concrete bookings with their reasons, or the
constraint that blocks it with the nearest alternatives as buttons; then "Book this course".

The proposal travels to the booking as a signed value (never trusted beyond its signature:
the booking service checks every session again in its transaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients.access import access_patient
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.planner.values import PlannedSession, Proposal
from kapclinic.scheduling.planner_forms import PlanCourseForm
from kapclinic.scheduling.planning import (
    PlannableProtocol,
    booking_proposals,
    plannable_protocols,
    propose_course,
    room_choices,
)
from kapclinic.scheduling.rules import day_words
from kapclinic.scheduling.services import book_course_plan, plan_course
from kapclinic.scheduling.waitlist.selectors import open_courses

_SALT = "kapclinic.scheduling.planner"
# A signed proposal is good for this long: a plan older than that is planned again.
_MAX_AGE_SECONDS = 2 * 60 * 60


def _form(
    request: ClinicRequest, protocols: list[PlannableProtocol], data: QueryDict | None
) -> PlanCourseForm:
    clinic = current_clinic(request)
    today = clinic.local_today()
    return PlanCourseForm(
        data,
        initial=PlanCourseForm.initial_for(today),
        protocols=[(str(p.version.public_id), p.version.name) for p in protocols],
        rooms=[(str(room.id), room.label) for room in room_choices(clinic)],
        today=today,
    )


def _alternative_fields(
    data: QueryDict, change: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, str]]:
    """The form's fields as hidden inputs, with ``change`` applied (an alternative's button)."""
    fields: list[tuple[str, str]] = []
    for name in (
        "protocol",
        "earliest_start",
        "weekdays",
        "earliest_time",
        "latest_time",
        "blackout",
        "rooms",
    ):
        values = list(change[name]) if name in change else data.getlist(name)
        fields.extend((name, value) for value in values)
    return fields


def _token(version: UUID, proposal: Proposal) -> str:
    return signing.dumps(
        {
            "protocol": str(version),
            "sessions": [
                [s.session_type, s.starts_at.isoformat(), s.room_id, s.therapist_id, s.nurse_id]
                for s in proposal.sessions
            ],
        },
        salt=_SALT,
        compress=True,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.PLAN_COURSES)
def plan(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=SchedulingAuditAction.COURSE_PLANNER_OPENED)
    if access.break_glass is not None:
        msg = "Courses are not planned under emergency access."
        raise PermissionDenied(msg)
    clinic = current_clinic(request)
    protocols = plannable_protocols(clinic)
    form = _form(request, protocols, request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"patient": access.patient, "form": form, "answer": None}
    if form.is_bound and form.is_valid():
        chosen = next(
            p for p in protocols if str(p.version.public_id) == form.cleaned_data["protocol"]
        )
        answer = propose_course(
            clinic,
            chosen.protocol,
            availability=form.availability(),
            earliest_start=form.cleaned_data["earliest_start"],
            patient_id=access.patient.pk,
            room_ids=form.room_ids(),
        )
        context["answer"] = answer
        context["protocol"] = chosen
        if isinstance(answer, Proposal):
            context["token"] = _token(chosen.version.public_id, answer)
        else:
            context["alternatives"] = [
                (alternative, _alternative_fields(request.POST, alternative.change))
                for alternative in answer.alternatives
            ]
    status = 422 if form.is_bound and not form.is_valid() else 200
    return render(request, "scheduling/plan_course.html", context, status=status)


def book_proposal(
    *,
    actor: Actor,
    patient: Patient,
    protocol: PlannableProtocol,
    sessions: list[PlannedSession],
    now: datetime,
) -> list[Appointment]:
    """Book the planned course, all or nothing: the patient's open course of this protocol
    version, or a new one (``plan_course``), and every session (``book_course_plan``, which
    checks each again: slot rules, course rules, holds). SchedulingError says why not."""
    proposals = booking_proposals(patient.clinic, sessions)
    with transaction.atomic():
        same = [c for c in open_courses(patient) if c.protocol_id == protocol.version.pk]
        course = (
            same[0]
            if same
            else plan_course(actor=actor, patient=patient, protocol=protocol.version)
        )
        return book_course_plan(actor=actor, course=course, proposals=proposals, now=now)


def _sessions(token: str, protocol: PlannableProtocol) -> list[PlannedSession]:
    data = signing.loads(token, salt=_SALT, max_age=_MAX_AGE_SECONDS)
    if data.get("protocol") != str(protocol.version.public_id):
        msg = "another protocol"
        raise signing.BadSignature(msg)
    found = []
    for code, starts_at, room_id, therapist_id, nurse_id in data["sessions"]:
        session_type = protocol.protocol.session_type(code)
        if session_type is None:
            msg = "unknown session type"
            raise signing.BadSignature(msg)
        start = datetime.fromisoformat(starts_at)
        found.append(
            PlannedSession(
                session_type=code,
                name=session_type.name,
                starts_at=start,
                ends_at=start + timedelta(minutes=session_type.minutes),
                room_id=room_id,
                room_name="",
                therapist_id=therapist_id,
                therapist_name="",
                nurse_id=nurse_id,
                nurse_name="",
                reasons=(),
            )
        )
    return found


@never_cache
@require_POST
@requires(Capability.PLAN_COURSES)
def book(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=None)
    if access.break_glass is not None:
        msg = "Courses are not booked under emergency access."
        raise PermissionDenied(msg)
    clinic = current_clinic(request)
    protocols = {str(p.version.public_id): p for p in plannable_protocols(clinic)}
    chosen = protocols.get(request.POST.get("protocol", ""))
    problem = ""
    if chosen is None:
        problem = "That protocol is not one the clinic offers now: plan the course again."
    else:
        try:
            sessions = _sessions(request.POST.get("plan", ""), chosen)
        except (signing.BadSignature, ValueError, TypeError, KeyError):
            problem = "This plan is out of date or was changed: plan the course again."
        else:
            try:
                booked = book_proposal(
                    actor=access.actor,
                    patient=access.patient,
                    protocol=chosen,
                    sessions=sessions,
                    now=timezone.now(),
                )
            except SchedulingError as error:
                problem = error.message
            else:
                messages.success(
                    request,
                    f"{chosen.version.name}: {len(booked)} sessions booked, the first on "
                    f"{day_words(timezone.localtime(booked[0].starts_at, clinic.tzinfo).date())}.",
                )
                return redirect("calendar:patient", public_id=access.patient.public_id)
    return render(
        request,
        "scheduling/plan_booked.html",
        {"patient": access.patient, "problem": problem, "protocol": chosen},
        status=422 if problem else 200,
    )
