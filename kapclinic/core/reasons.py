"""One rule for the reasons people write (issue 12.4).

Every override, amendment, entered-in-error mark, withdrawal, cancellation, role ending,
two-factor reset, policy change and break-glass access asks its user why, and the audit trail
keeps the answer. A reason counts only what a reader sees: invisible characters (control and
format characters such as zero-width spaces and bidi overrides; line breaks and tabs stay) are
removed, spaces do not count towards the minimum, and it must contain words (a letter in any
script), so "..........", "1234567890" or ten zero-width spaces are refused everywhere alike,
with one message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Final

from kapclinic.core.exceptions import DomainError

# The default minimum: enough for "wrong patient" or "patient declined by phone".
MIN_REASON_CHARS: Final = 10
_INVISIBLE: Final = frozenset({"Cc", "Cf"})


class ReasonError(DomainError):
    """A written reason that does not meet the rule."""


def visible_text(text: str) -> str:
    """``text`` without invisible characters (control and format characters, except line
    breaks and tabs) and without surrounding whitespace: what a reader sees."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _INVISIBLE)
    return kept.strip()


def reason_message(minimum: int = MIN_REASON_CHARS) -> str:
    """The one message for a reason that is refused."""
    return (
        f"Give the reason in words, at least {minimum} characters "
        "(spaces and invisible characters do not count)."
    )


def reason_problem(text: str, *, minimum: int = MIN_REASON_CHARS) -> str | None:
    """None when ``text`` is an acceptable reason, otherwise the message saying why not."""
    visible = visible_text(text)
    counted = sum(not ch.isspace() for ch in visible)
    if counted < minimum or not any(ch.isalpha() for ch in visible):
        return reason_message(minimum)
    return None


def clean_reason(
    text: str | None,
    *,
    minimum: int = MIN_REASON_CHARS,
    error: Callable[[str], Exception] = ReasonError,
) -> str:
    """The reason as it is stored (visible characters, trimmed), or ``error(message)`` raised.

    ``error`` lets each caller raise its own refusal (a service's DomainError subclass, a
    form's ValidationError) with the one message.
    """
    value = text or ""
    problem = reason_problem(value, minimum=minimum)
    if problem is not None:
        raise error(problem)
    return visible_text(value)
