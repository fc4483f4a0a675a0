from __future__ import annotations

from kapclinic.core.exceptions import DomainError


class ScreeningRefusedError(DomainError):
    """A screening write the rules do not allow (wrong role, wrong state, bad override)."""


class ScreeningForbiddenError(ScreeningRefusedError):
    """The actor may not make this change to this screening at all (views answer 403)."""
