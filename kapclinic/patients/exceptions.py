from __future__ import annotations

from kapclinic.core.exceptions import DomainError


class BreakGlassRefusedError(DomainError):
    pass
