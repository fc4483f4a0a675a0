"""One real request per monitoring route (issue 15.5, 15.6), for the route-by-role tests: a
dosing session of the demo's home clinic, checked in through the dosing services, with one open
blood-pressure alert (R-ALR-1)."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.permissions import Capability
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession, SessionAlert
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import SessionKind
from kapclinic.scheduling.protocols.parser import parse_protocol
from tests.architecture.routing import Call, World


def _session_with_alert(world: World) -> tuple[DosingSession, SessionAlert]:
    nurse_user = User.objects.filter(
        memberships__clinic=world.home, memberships__role=Role.NURSE
    ).order_by("id")[0]
    nurse = Actor.for_user(nurse_user, world.home)
    now = timezone.now()
    for appointment in (
        Appointment.objects.filter(clinic=world.home)
        .select_related("course__protocol")
        .order_by("starts_at", "pk")
    ):
        kind = parse_protocol(appointment.course.protocol.document).session_type(
            appointment.session_type
        )
        if kind is not None and kind.kind == SessionKind.DOSING:
            break
    session = services.open_session(actor=nurse, appointment=appointment, now=now)
    if session.current == State.BOOKED:
        session = services.move(actor=nurse, session=session, target=State.CHECKED_IN, now=now)
    alert = session.alerts.first()
    if alert is None:
        _, (alert,) = services.record_vitals(
            actor=nurse,
            session=session,
            readings={VitalKind.SYSTOLIC: Decimal(205), VitalKind.DIASTOLIC: Decimal(125)},
            taken_at=now,
            now=now,
        )
    return session, alert


def dosing_console_routes(world: World) -> dict[str, Call]:
    session, alert = _session_with_alert(world)
    at = [session.public_id]
    return {
        "dosing:console": Call("GET", reverse("dosing:console"), Capability.VIEW_MONITORING),
        "dosing:console-cards": Call(
            "GET", reverse("dosing:console-cards"), Capability.VIEW_MONITORING
        ),
        "dosing:vitals": Call("GET", reverse("dosing:vitals", args=at), Capability.VIEW_MONITORING),
        "dosing:vitals-form": Call(
            "GET", reverse("dosing:vitals-form", args=at), Capability.MONITOR_SESSIONS
        ),
        "dosing:acknowledge-alert": Call(
            "GET",
            reverse("dosing:acknowledge-alert", args=[session.public_id, alert.pk]),
            Capability.MONITOR_SESSIONS,
        ),
        "dosing:adverse-event": Call(
            "GET", reverse("dosing:adverse-event", args=at), Capability.MONITOR_SESSIONS
        ),
    }
