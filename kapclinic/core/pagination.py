"""A paginator for long lists that counts no further than it needs to."""

from __future__ import annotations

from functools import cached_property
from typing import TypeVar

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class BoundedPaginator(Paginator[M]):
    """Django's Paginator over a query set, counting at most ``bound`` + 1 rows.

    A list of thousands (a clinic's patients) would otherwise be counted in full on every view
    of its first page, although nobody pages through thousands. Up to ``bound`` rows it is the
    usual paginator: an exact count and last page. Above, ``exact`` is False, ``count`` is
    ``bound`` + 1 and the page says "more than ``bound``"; asking for a page at or past the
    bound counts in full (once), so that any page number still lands on a real page, the last
    one included.
    """

    def __init__(self, object_list: QuerySet[M], per_page: int, *, bound: int) -> None:
        super().__init__(object_list, per_page)
        self.rows = object_list
        self.bound = bound
        self.exact = True

    @cached_property
    def count(self) -> int:
        counted = self.rows[: self.bound + 1].count()
        if counted > self.bound:
            self.exact = False
        return counted

    @property
    def pages_shown(self) -> int:
        """The pages known to exist: every page when exact, else those within the bound."""
        return self.num_pages if self.exact else self.bound // self.per_page

    def validate_number(self, number: int | float | str) -> int:
        try:
            valid: int | None = super().validate_number(number)
        except EmptyPage:
            if self.exact or int(number) < 1:
                raise
            valid = None
        if valid is None or (not self.exact and valid > self.pages_shown):
            self._count_all()
            return super().validate_number(number)
        return valid

    def _count_all(self) -> None:
        self.__dict__["count"] = self.rows.count()
        self.__dict__.pop("num_pages", None)
        self.exact = True
