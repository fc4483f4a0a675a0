from __future__ import annotations

from kapclinic.core.exceptions import DomainError


class ConsentError(DomainError):
    """A consent rule refused the action; ``field`` names the form field it concerns, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
