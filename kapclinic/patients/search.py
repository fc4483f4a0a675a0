"""Pure helpers of patient search: how names and phone numbers are folded, how a query is read.

Names are matched accent- and case-insensitively on any part ("zoe" finds "Zoë", "nguy" finds
"Nguyễn"); every word of the query must match. A query that is a date finds birth dates, one
shaped like a record number finds MRNs, and one of 4+ digits finds phone numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

_NOT_NAME = re.compile(r"[^a-z0-9]+")
_MRN = re.compile(r"^[A-Za-z]{2,8}-\d{1,10}$")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y%m%d")
MAX_QUERY_LENGTH = 100
_TRANSLITERATE = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"}
)


def fold(text: str) -> str:
    """Lower-case ASCII with accents removed and punctuation turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Letters with no decomposition (ø, ł, đ, ß) get their usual transliteration.
    ascii_only = ascii_only.translate(_TRANSLITERATE)
    return _NOT_NAME.sub(" ", ascii_only).strip()


def search_key(given_name: str, family_name: str) -> str:
    """What a patient's name is matched against: " given family " folded, padded with spaces
    so that a word can be matched at its start (" nguy")."""
    return f" {fold(given_name)} {fold(family_name)} "


def phone_digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


@dataclass(frozen=True)
class PatientQuery:
    """A search box's text, read as one of: birth date, MRN, phone digits, or name words."""

    birth_date: date | None = None
    mrn: str = ""
    phone: str = ""
    name_words: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.birth_date or self.mrn or self.phone or self.name_words)


def read_query(text: str) -> PatientQuery:
    text = text.strip()[:MAX_QUERY_LENGTH]
    for fmt in _DATE_FORMATS:
        try:
            return PatientQuery(birth_date=datetime.strptime(text, fmt).date())  # noqa: DTZ007
        except ValueError:
            continue
    if _MRN.match(text):
        return PatientQuery(mrn=text.upper())
    digits = phone_digits(text)
    if len(digits) >= 4 and len(digits) >= len(text.replace(" ", "")) - 4:
        return PatientQuery(phone=digits)
    return PatientQuery(name_words=tuple(fold(text).split()[:5]))
