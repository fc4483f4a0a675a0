"""The to-do count of the navigation badge ("Today, 5 to do"; "99+" above BADGE_LIMIT)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability, allows
from kapclinic.today.todo import BADGE_LIMIT, count_todo

_COUNT_ATTRIBUTE = "_todo_count"


def remember_todo_count(request: HttpRequest, count: int) -> None:
    """The Today view has just counted every list: the badge uses that, no second query."""
    setattr(request, _COUNT_ATTRIBUTE, count)


class TodoCount:
    """Counted when a template first reads ``count`` (one query), then kept for the request."""

    def __init__(self, request: HttpRequest, clinic: Clinic, roles: frozenset[str]) -> None:
        self._request = request
        self._clinic = clinic
        self._roles = roles

    @cached_property
    def count(self) -> int:
        known: int | None = getattr(self._request, _COUNT_ATTRIBUTE, None)
        if known is None:
            known = count_todo(self._clinic, self._roles, timezone.now())
            remember_todo_count(self._request, known)
        return known

    @property
    def label(self) -> str:
        """What the badge shows: the count, or "99+" above BADGE_LIMIT (then inexact)."""
        return f"{BADGE_LIMIT}+" if self.count > BADGE_LIMIT else str(self.count)

    @property
    def spoken(self) -> str:
        """The count for screen readers ("Today, more than 99 to do")."""
        return f"more than {BADGE_LIMIT}" if self.count > BADGE_LIMIT else str(self.count)


def todo(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``todo.count`` for staff pages of a clinic (nothing otherwise)."""
    clinic: Clinic | None = getattr(request, "clinic", None)
    roles: frozenset[str] = getattr(request, "roles", frozenset())
    if clinic is None or not allows(roles, Capability.VIEW_TODAY):
        return {}
    return {"todo": TodoCount(request, clinic, roles)}
