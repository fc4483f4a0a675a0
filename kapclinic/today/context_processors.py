"""What the base layout shows on every staff page besides the page itself: the to-do badge
("Today, 5 to do"; "99+" above BADGE_LIMIT), the user's unread notices in the clinic and the
clinic's open safety tasks (the banner).

One query asks for all three the first time a template reads any of them: the badge's counts,
whether any notice is unread and whether any safety task is open (``read_together``). Only then
are the notices and the banner's tasks read, one more query each, and only when there are some:
most pages of most users have neither. A page that shows none of the three (a partial) reads
nothing.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from kapclinic.accounts.models import Clinic, StaffNotice, User
from kapclinic.accounts.permissions import Capability, allows, request_roles
from kapclinic.accounts.selectors import any_unread_notice, list_unread_notices
from kapclinic.measurement.safety.selectors import any_open_task
from kapclinic.measurement.safety.services import SafetyBanner, safety_banner
from kapclinic.today.todo import BADGE_LIMIT, read_together, todo_count_fields

_COUNT_ATTRIBUTE = "_todo_count"
NO_BANNER = SafetyBanner(urgent=0, follow_up=0, escalated=0, newest=[])


def remember_todo_count(request: HttpRequest, count: int) -> None:
    """The Today view has just counted every list: the badge uses that, no second count."""
    setattr(request, _COUNT_ATTRIBUTE, count)


class Layout:
    """The layout's reads for one request, made when a template first needs them."""

    def __init__(self, request: HttpRequest, user: User, clinic: Clinic) -> None:
        self._request = request
        self._user = user
        self._clinic = clinic
        self.roles = request_roles(request)
        self.shows_badge = allows(self.roles, Capability.VIEW_TODAY)
        self.shows_banner = allows(self.roles, Capability.VIEW_SAFETY_TASKS)

    @cached_property
    def _answers(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"any_notice": any_unread_notice(self._user, self._clinic)}
        if self.shows_banner:
            fields["any_open_task"] = any_open_task(self._clinic)
        if self.shows_badge and getattr(self._request, _COUNT_ATTRIBUTE, None) is None:
            fields.update(todo_count_fields(self._clinic, self.roles, timezone.now(), self._user))
        return read_together(self._clinic, fields)

    @cached_property
    def todo_count(self) -> int:
        known: int | None = getattr(self._request, _COUNT_ATTRIBUTE, None)
        if known is None:
            known = sum(v for k, v in self._answers.items() if k.startswith("n_"))
            remember_todo_count(self._request, known)
        return known

    @cached_property
    def notices(self) -> list[StaffNotice]:
        if not self._answers.get("any_notice"):
            return []
        return list_unread_notices(self._user, self._clinic)

    @cached_property
    def safety_banner(self) -> SafetyBanner:
        if not self._answers.get("any_open_task"):
            return NO_BANNER
        return safety_banner(self._clinic)


class TodoCount:
    """The badge: ``count`` (read with the rest of the layout), ``label`` and ``spoken``."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout

    @property
    def count(self) -> int:
        return self._layout.todo_count

    @property
    def label(self) -> str:
        """What the badge shows: the count, or "99+" above BADGE_LIMIT (then inexact)."""
        return f"{BADGE_LIMIT}+" if self.count > BADGE_LIMIT else str(self.count)

    @property
    def spoken(self) -> str:
        """The count for screen readers ("Today, more than 99 to do")."""
        return f"more than {BADGE_LIMIT}" if self.count > BADGE_LIMIT else str(self.count)


def layout(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``notices``, ``safety_banner`` (for roles that see safety tasks) and
    ``todo`` (the badge) for staff pages of a clinic; nothing otherwise."""
    clinic: Clinic | None = getattr(request, "clinic", None)
    user = getattr(request, "user", None)
    if clinic is None or not isinstance(user, User):
        return {}
    reads = Layout(request, user, clinic)
    context: dict[str, Any] = {"notices": SimpleLazyObject(lambda: reads.notices)}
    if reads.shows_banner:
        context["safety_banner"] = SimpleLazyObject(lambda: reads.safety_banner)
    if reads.shows_badge:
        context["todo"] = TodoCount(reads)
    return context
