"""Password rules of our own, used next to Django's validators (AUTH_PASSWORD_VALIDATORS).

Django's CommonPasswordValidator refuses its 20,000 most common passwords. This one adds what
attackers guess first against a ketamine clinic: the treatment's names (ketamine, Spravato...),
the clinic's own names, codes and cities, generic first guesses, and season or month plus year
("Winter2026!"), including the usual letter-for-digit swaps ("K3tam1ne").
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Final

from django.core.exceptions import ValidationError

from kapclinic.accounts.models import Clinic

DEFAULT_LIST: Final = Path(__file__).resolve().parent / "data" / "clinic-context-passwords.txt"
# Fewer letters than this left once the listed words are taken out: the password is built
# around them.
MIN_OTHER_LETTERS: Final = 6
# Shorter words are refused only as the whole password (so "den" does not spoil "Garden...").
MIN_EMBEDDED_WORD: Final = 4
SEASONS_AND_MONTHS: Final = frozenset(
    {
        "spring",
        "summer",
        "autumn",
        "fall",
        "winter",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    }
)
_LEET: Final = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_DECORATED: Final = re.compile(r"^(?P<lead>[^a-z]*)(?P<core>.*?)(?P<trail>[^a-z]*)$", re.DOTALL)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _clinic_words() -> set[str]:
    """Names, codes and cities of the clinics in the database, as lower-case letters."""
    words: set[str] = set()
    for name, code, city in Clinic.objects.values_list("name", "code", "city"):
        words.update({_letters(name), _letters(code), _letters(city)})
        words.update(_letters(token) for token in re.split(r"[\s\-]+", name))
    return {word for word in words if len(word) >= 3}


class ClinicContextPasswordValidator:
    """Refuse passwords built on clinic-related words, common first guesses, or a season/month
    with a year. ``password_list_path`` names the list file (one entry per line, # comments)."""

    def __init__(self, password_list_path: Path | str = DEFAULT_LIST) -> None:
        self.password_list_path = Path(password_list_path)

    @cached_property
    def _entries(self) -> tuple[frozenset[str], frozenset[str]]:
        exact: set[str] = set()
        words: set[str] = set()
        for line in self.password_list_path.read_text(encoding="utf-8").splitlines():
            entry = line.split("#", 1)[0].strip().lower()
            if not entry:
                continue
            exact.add(entry)
            if re.fullmatch(r"[a-z ]+", entry):
                words.add(entry.replace(" ", ""))
        return frozenset(exact), frozenset(words)

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        exact, listed = self._entries
        if lowered in exact or lowered.replace(" ", "") in exact:
            msg = (
                "This password is on the list of passwords that attackers try first. "
                "Choose another one."
            )
            raise ValidationError(msg, code="password_on_clinic_list")
        match = _DECORATED.match(lowered)
        lead, core, trail = (
            (match["lead"], match["core"], match["trail"]) if match else ("", "", "")
        )
        core_letters = _letters(core.translate(_LEET))
        if core_letters in SEASONS_AND_MONTHS and re.search(r"\d\d", lead + trail):
            msg = (
                "A season or month with a year (like “Winter2026!”) is among the first "
                "passwords attackers try. Choose another one."
            )
            raise ValidationError(msg, code="password_season_and_year")
        word = self._built_around(core_letters, listed | _clinic_words())
        if word:
            msg = (
                "This password is built around “%(word)s”, a word attackers try first "
                "against a clinic like this one. Choose one without it, for example four or "
                "more unrelated words."
            )
            raise ValidationError(msg, code="password_clinic_word", params={"word": word})

    @staticmethod
    def _built_around(letters: str, words: frozenset[str] | set[str]) -> str | None:
        """The longest listed word the password is built around, if any."""
        if letters in words:
            return letters
        rest, found = letters, []
        for word in sorted(words, key=len, reverse=True):
            if len(word) >= MIN_EMBEDDED_WORD and word in rest:
                found.append(word)
                rest = rest.replace(word, "")
        if found and len(rest) < MIN_OTHER_LETTERS:
            return found[0]
        return None

    def get_help_text(self) -> str:
        return (
            "Your password can’t be built around words tied to the clinic (its name, the "
            "medicines it uses), common first guesses such as “password”, or a season or "
            "month with a year."
        )
