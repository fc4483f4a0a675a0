from __future__ import annotations

from kapclinic.core.exceptions import DomainError


class BreakGlassRefusedError(DomainError):
    pass


class PossibleDuplicateError(DomainError):
    """A patient with the same name and birth date exists: the user must choose."""

    def __init__(self, candidates: list[object]) -> None:
        super().__init__(
            "A patient with the same name and date of birth is already registered. Open the "
            "existing record, or confirm that this is a different person."
        )
        self.candidates = candidates


class DiagnosisError(DomainError):
    """A diagnosis that cannot be recorded or changed as asked; nothing was written."""


class MergeError(DomainError):
    """Two patient records that cannot be merged as asked; nothing was written. ``field`` names
    the form field the message belongs to, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ReminderConsentError(DomainError):
    """A change of the patient's consent to e-mail reminders was refused."""
