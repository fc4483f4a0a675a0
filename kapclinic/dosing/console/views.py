"""The live monitoring console (issue 15.6) and a session's vitals page (issue 15.5).

The console page polls ``cards`` every 5 seconds (htmx): the cards are read in a fixed number of
queries (``selectors.console_cards``). Forms open in one dialog outside the polled cards, so a
refresh never wipes what a nurse is typing: a card's "Enter vitals" loads the form (tap one),
"Save readings" records it (tap two). The poll carries the newest alert id it has announced;
only alerts newer than that are written into the page's live region, so a screen reader hears
each new alert once, not every refresh. Every write goes through ``services.monitoring``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.dosing import services
from kapclinic.dosing.console import selectors
from kapclinic.dosing.console.forms import FIELDS, AcknowledgeForm, AdverseEventForm, VitalsForm
from kapclinic.dosing.models import DosingSession, SessionAlert
from kapclinic.dosing.rules.adverse import SUGGESTED_BY_ALERT
from kapclinic.dosing.rules.vitals import VITALS
from kapclinic.dosing.services import DosingError


def _htmx(request: ClinicRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _after(request: ClinicRequest) -> int:
    raw = request.GET.get("after", "")
    return int(raw) if raw.isdigit() and len(raw) < 18 else 0


def _with_urls(cards: list[selectors.Card]) -> list[selectors.Card]:
    """Each card's links, reversed once per card (the cards refresh every 5 seconds)."""
    for card in cards:
        page = reverse("dosing:vitals", args=[card.session.public_id])
        base = page.removesuffix("vitals/")
        card.urls = {
            "vitals": page,
            "form": f"{page}form/",
            "event": f"{base}adverse-events/new/",
            "alerts": f"{base}alerts/",
        }
    return cards


def _newest_alert_id(cards: list[selectors.Card]) -> int:
    return max((a.alert.pk for card in cards for a in card.alerts), default=0)


@require_GET
@requires(Capability.VIEW_MONITORING)
def console(request: ClinicRequest) -> HttpResponse:
    now = timezone.now()
    cards = _with_urls(selectors.console_cards(current_clinic(request), now))
    context = {"cards": cards, "now": now, "after": _newest_alert_id(cards), "new_alerts": []}
    return render(request, "dosing/console.html", context)


@require_GET
@requires(Capability.VIEW_MONITORING)
def cards(request: ClinicRequest) -> HttpResponse:
    """The polled fragment: the cards, and the alerts newer than ``after`` for the live region."""
    now = timezone.now()
    found = _with_urls(selectors.console_cards(current_clinic(request), now))
    after = _after(request)
    new_alerts = [(card, a.alert) for card in found for a in card.alerts if a.alert.pk > after]
    newest = max(after, _newest_alert_id(found))
    context = {"cards": found, "now": now, "after": newest, "new_alerts": new_alerts}
    return render(request, "dosing/console/_cards.html", context)


def _vitals_context(session: DosingSession, form: VitalsForm, now: datetime) -> dict[str, Any]:
    return {
        "session": session,
        "form": form,
        "fields": [(form[kind.value], VITALS[kind]) for kind in FIELDS],
        "now": now,
    }


def _record(request: ClinicRequest, session: DosingSession, form: VitalsForm) -> bool:
    if not form.is_valid():
        return False
    try:
        services.record_vitals(
            actor=request.actor,
            session=session,
            readings=form.readings(),
            moaas=form.cleaned_data["moaas_score"],
            cadss_total=form.cleaned_data["cadss"],
            taken_at=timezone.now(),
            now=timezone.now(),
        )
    except DosingError as error:
        form.add_error(None, error.message)
        return False
    return True


def _session_page(
    request: ClinicRequest, session: DosingSession, form: VitalsForm, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    context = _vitals_context(session, form, now) | {
        "card": selectors.card_of(session, now),
        "readings": selectors.readings_of(session),
        "alerts": selectors.alerts_of(session),
        "events": selectors.adverse_events_of(session),
        "event_form": AdverseEventForm(),
        "vitals_table": [VITALS[kind] for kind in FIELDS],
    }
    return render(request, "dosing/vitals.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Capability.VIEW_MONITORING)
def vitals(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    """A session's readings, alerts and adverse events, and the form for a new set."""
    session = selectors.session_of(current_clinic(request), session_id)
    if request.method == "GET":
        return _session_page(request, session, VitalsForm())
    if not request.actor.can(Capability.MONITOR_SESSIONS):
        raise PermissionDenied
    form = VitalsForm(request.POST)
    saved = _record(request, session, form)
    if _htmx(request):
        if saved:
            response = render(request, "dosing/console/_saved.html", {"session": session})
            response["HX-Trigger"] = "vitals-saved"
            return response
        context = _vitals_context(session, form, timezone.now()) | {"in_dialog": True}
        return render(request, "dosing/console/_vitals_form.html", context)
    if saved:
        messages.success(request, "Readings saved.")
        return redirect("dosing:vitals", session.public_id)
    return _session_page(request, session, form, status=422)


@require_GET
@requires(Capability.MONITOR_SESSIONS)
def vitals_form(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    """The dialog's form for one card (tap one)."""
    session = selectors.session_of(current_clinic(request), session_id)
    context = _vitals_context(session, VitalsForm(), timezone.now()) | {"in_dialog": True}
    return render(request, "dosing/console/_vitals_form.html", context)


def _ack_context(
    session: DosingSession, alert: SessionAlert, form: AcknowledgeForm, in_dialog: bool
) -> dict[str, Any]:
    return {"session": session, "alert": alert, "form": form, "in_dialog": in_dialog}


@require_http_methods(["GET", "POST"])
@requires(Capability.MONITOR_SESSIONS)
def acknowledge(request: ClinicRequest, session_id: UUID, alert_id: int) -> HttpResponse:
    """An alert's acknowledgement: what was done, in words (R-ALR-*)."""
    session = selectors.session_of(current_clinic(request), session_id)
    alert = selectors.open_alert_of(session, alert_id)
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.acknowledge_alert(
                actor=request.actor,
                alert=alert,
                action_taken=form.cleaned_data["action_taken"],
                now=timezone.now(),
            )
        except DosingError as error:
            form.add_error("action_taken", error.message)
        else:
            if _htmx(request):
                response = render(
                    request,
                    "dosing/console/_saved.html",
                    {"session": session, "acknowledged": alert},
                )
                response["HX-Trigger"] = "vitals-saved"
                return response
            messages.success(request, "Alert acknowledged.")
            return redirect("dosing:vitals", session.public_id)
    template = "dosing/console/_acknowledge.html" if _htmx(request) else "dosing/acknowledge.html"
    status = 422 if request.method == "POST" and not _htmx(request) else 200
    context = _ack_context(session, alert, form, _htmx(request))
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Capability.MONITOR_SESSIONS)
def adverse_event(request: ClinicRequest, session_id: UUID) -> HttpResponse:
    """Record an adverse event with its interventions and outcome (issue 15.5, R-ALR-5)."""
    session = selectors.session_of(current_clinic(request), session_id)
    alert = None
    raw_alert = request.GET.get("alert") or request.POST.get("alert") or ""
    if raw_alert.isdigit() and len(raw_alert) < 18:
        alert = selectors.open_alert_of(session, int(raw_alert))
    if request.method == "GET":
        initial: dict[str, Any] = {
            "onset": timezone.localtime().time().replace(second=0, microsecond=0)
        }
        if alert is not None:
            kind = SUGGESTED_BY_ALERT.get(alert.rule_id)
            initial |= {"alert": alert.pk, "kind": kind.value if kind else ""}
        form = AdverseEventForm(initial=initial)
    else:
        form = AdverseEventForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            onset = timezone.make_aware(datetime.combine(timezone.localdate(), data["onset"]))
            try:
                services.record_adverse_event(
                    actor=request.actor,
                    session=session,
                    kind=data["kind"],
                    onset_at=onset,
                    description=data["description"],
                    interventions=data["interventions"],
                    outcome=data["outcome"],
                    serious=data["serious"],
                    alert=alert,
                    now=timezone.now(),
                )
            except DosingError as error:
                form.add_error(None, error.message)
            else:
                if _htmx(request):
                    response = render(
                        request,
                        "dosing/console/_saved.html",
                        {"session": session, "event_saved": True},
                    )
                    response["HX-Trigger"] = "vitals-saved"
                    return response
                messages.success(request, "Adverse event recorded.")
                return redirect("dosing:vitals", session.public_id)
    context = {"session": session, "form": form, "alert": alert, "in_dialog": _htmx(request)}
    template = (
        "dosing/console/_adverse_event.html" if _htmx(request) else "dosing/adverse_event.html"
    )
    status = 422 if request.method == "POST" and not _htmx(request) else 200
    return render(request, template, context, status=status)
