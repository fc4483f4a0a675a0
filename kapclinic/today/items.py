"""One row of a to-do list and one list, as Today shows them (kapclinic.today.todo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.timesince import timesince


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
