"""One row of a to-do list, one list, and the spec of a list, as Today shows them
(kapclinic.today.todo; the ledger's lists are in kapclinic.today.ledger)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.timesince import timesince

from kapclinic.accounts.models import Clinic, User
from kapclinic.accounts.permissions import Capability


@dataclass(frozen=True)
class TodoItem:
    """One row of a list: what it is, why it is here, where the work is done."""

    label: str
    detail: str
    url: str
    since: datetime | None = None
    since_label: str = "waiting {}"  # "waiting 3 days"
    urgent: bool = False

    @property
    def waited(self) -> str:
        """How long it has waited, in words ("waiting 2 months"), or "" for no time."""
        if self.since is None:
            return ""
        return self.since_label.format(timesince(self.since, depth=1))


@dataclass(frozen=True)
class TodoList:
    key: str
    title: str
    empty: str
    items: list[TodoItem]
    total: int
    full_list_url: str | None = None

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class ListSpec:
    key: str
    title: str
    empty: str
    roles: frozenset[str]
    capability: Capability
    rows: Callable[[Clinic, datetime], QuerySet[Any]] | None
    item: Callable[[datetime], Callable[[Any], TodoItem]]
    full_list: str | None = None
    # The rows of the signed-in person (their own sessions), instead of ``rows``.
    own_rows: Callable[[Clinic, datetime, User], QuerySet[Any]] | None = None
    # The clinic settings list also says when the clinic has no opening hours at all (one
    # more query, and one more item when true).
    checks_opening_hours: bool = False


def each(convert: Callable[[Any], TodoItem]) -> Callable[[datetime], Callable[[Any], TodoItem]]:
    return lambda _now: convert


def clinic_only(
    rows: Callable[[Clinic], QuerySet[Any]],
) -> Callable[[Clinic, datetime], QuerySet[Any]]:
    return lambda clinic, _now: rows(clinic)
