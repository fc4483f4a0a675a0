"""Calendar feeds and reminder settings: the public feed itself (``/calendar/<token>.ics``,
no sign-in: the token is the key), a staff member's own feed, the clinic's room feeds and
reminder lead times (clinic admins). The patient's own feed is in the portal."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.notify.feeds import build_calendar
from kapclinic.scheduling.notify.forms import NONE, FeedActionForm, ReminderHoursForm
from kapclinic.scheduling.notify.selectors import (
    access_room,
    feed_content,
    open_feed,
    reminder_hours,
    reminder_reach,
    staff_feed,
)
from kapclinic.scheduling.notify.selectors import (
    room_feeds as list_room_feeds,
)
from kapclinic.scheduling.notify.services import (
    MIN_SECONDS_BETWEEN_READS,
    IssuedFeed,
    issue_room_feed,
    issue_staff_feed,
    record_feed_read,
    revoke_feed,
    set_reminder_hours,
)


def _plain(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed of the token: text/calendar, never cached by a shared cache or stored. An
    unknown or revoked token answers a bare 404 (nothing says which)."""
    now = timezone.now()
    feed = open_feed(token)
    if feed is None:
        return _plain(404, "Not found.\n")
    if not record_feed_read(feed, now=now):
        response = _plain(429, "Too many requests: try again in a few seconds.\n")
        response["Retry-After"] = str(MIN_SECONDS_BETWEEN_READS)
        return response
    content = feed_content(feed, now=now)
    response = HttpResponse(
        build_calendar(content.name, content.events), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="kapclinic.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def feed_url(request: HttpRequest, token: str) -> str:
    """The feed's address on the site's public origin (``BASE_URL``, else this request's)."""
    path = reverse("calendar-feed", args=[token])
    return settings.BASE_URL + path if settings.BASE_URL else request.build_absolute_uri(path)


def feed_context(request: HttpRequest, issued: IssuedFeed | None) -> dict[str, str]:
    """The new address to show once (https and webcal), or nothing."""
    if issued is None:
        return {}
    url = feed_url(request, issued.token)
    return {"new_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.VIEW_SCHEDULE)
def my_feed(request: ClinicRequest) -> HttpResponse:
    """The signed-in staff member's feed of their sessions in the current clinic."""
    clinic = current_clinic(request)
    form = FeedActionForm(request.POST if request.method == "POST" else None)
    issued = None
    if form.is_bound and form.is_valid():
        now = timezone.now()
        try:
            if form.cleaned_data["action"] == "create":
                issued = issue_staff_feed(actor=request.actor, now=now)
            else:
                feed = staff_feed(request.user, clinic)
                revoke_feed(actor=request.actor, feed=feed, now=now)
                messages.success(request, "Calendar feed revoked: its address no longer works.")
                return redirect("notify:my-feed")
        except SchedulingError as error:
            form.add_error(None, error.message)
    context = {
        "clinic": clinic,
        "form": form,
        "feed": staff_feed(request.user, clinic),
        **feed_context(request, issued),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "scheduling/notify/my_feed.html", context, status=status)


def _room_action(request: ClinicRequest, form: FeedActionForm) -> IssuedFeed | None:
    """Raises SchedulingError, with a room the clinic does not have among the reasons."""
    clinic = current_clinic(request)
    room = access_room(clinic, form.cleaned_data["room"])
    now = timezone.now()
    if form.cleaned_data["action"] == "create":
        return issue_room_feed(actor=request.actor, room=room, now=now)
    feed = dict(list_room_feeds(clinic)).get(room) if room is not None else None
    revoke_feed(actor=request.actor, feed=feed, now=now)
    return None


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_CLINIC)
def room_feeds(request: ClinicRequest) -> HttpResponse:
    """Each room's feed: for a screen at the room's door or a shared calendar."""
    clinic = current_clinic(request)
    form = FeedActionForm(request.POST if request.method == "POST" else None)
    issued = None
    if form.is_bound and form.is_valid():
        try:
            issued = _room_action(request, form)
        except SchedulingError as error:
            form.add_error(None, error.message)
        else:
            if issued is None:
                messages.success(request, "Calendar feed revoked: its address no longer works.")
                return redirect("notify:room-feeds")
    context = {
        "clinic": clinic,
        "form": form,
        "rows": list_room_feeds(clinic),
        "issued_room": issued.feed.room if issued else None,
        **feed_context(request, issued),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "scheduling/notify/room_feeds.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_CLINIC)
def reminders(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    current = reminder_hours(clinic)
    form = ReminderHoursForm(
        request.POST if request.method == "POST" else None,
        initial={"hours": ", ".join(str(h) for h in current) or NONE},
    )
    if form.is_bound and form.is_valid():
        try:
            set_reminder_hours(actor=request.actor, clinic=clinic, hours=form.cleaned_data["hours"])
        except SchedulingError as error:
            form.add_error("hours", error.message)
        else:
            messages.success(request, "Reminder lead times saved.")
            return redirect("notify:reminders")
    context = {
        "clinic": clinic,
        "form": form,
        "current": current,
        "reach": reminder_reach(clinic, now=timezone.now()),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "scheduling/notify/reminders.html", context, status=status)
