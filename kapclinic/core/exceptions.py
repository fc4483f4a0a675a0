from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an action; ``message`` is safe to show to staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
