"""The ICD-10-CM code list shipped with kapclinic (data/icd10cm_fy2026.tsv; see data/README.md).

Pure and read-only: the file is read once per process. ``lookup`` finds one code however it is
typed ("f43.10", "F4310"); ``search`` answers the code search box. A query is read word by word:
a word shaped like a code ("F33", "f43.1") must start the code, any other word must start a word
of the title, accents and capitals ignored ("ptsd", "recur depress"). Exact codes rank first,
then codes that start with the query, then title matches, each in code order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kapclinic.patients.exceptions import DiagnosisError
from kapclinic.patients.search import fold

CODE_LIST = Path(__file__).resolve().parent / "data" / "icd10cm_fy2026.tsv"
RELEASE = "ICD-10-CM FY2026, April 1, 2026 update"
MAX_QUERY_LENGTH = 100
MAX_RESULTS = 50
_MAX_WORDS = 6
# A letter, a digit, then up to five more letters or digits: the shape of a code without its dot.
_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z]{0,5}$")


@dataclass(frozen=True)
class Icd10Code:
    code: str  # as written in the tabular list, with its dot: "F43.10"
    description: str
    # True for a code valid on a claim (no subdivisions); False for a category header ("F43.1").
    billable: bool

    @property
    def compact(self) -> str:
        return compact(self.code)


@dataclass(frozen=True)
class _Entry:
    code: Icd10Code
    key: str  # compact code: "F4310"
    words: str  # folded title padded with spaces: " post traumatic stress disorder "


def compact(code: str) -> str:
    """A code as typed, upper-cased without dot or spaces: " f43.10 " → "F4310"."""
    return "".join(code.split()).replace(".", "").upper()


@cache
def _entries() -> tuple[_Entry, ...]:
    lines = CODE_LIST.read_text(encoding="utf-8").splitlines()
    entries = []
    for line in lines[1:]:
        code, description, billable = line.split("\t")
        entries.append(
            _Entry(
                code=Icd10Code(code=code, description=description, billable=billable == "Y"),
                key=compact(code),
                words=f" {fold(description)} ",
            )
        )
    return tuple(entries)


@cache
def _by_key() -> dict[str, Icd10Code]:
    return {entry.key: entry.code for entry in _entries()}


def all_codes() -> tuple[Icd10Code, ...]:
    return tuple(entry.code for entry in _entries())


def lookup(code: str) -> Icd10Code | None:
    """The listed code (billable or not), or None when the list has no such code."""
    return _by_key().get(compact(code[:MAX_QUERY_LENGTH]))


def billable(text: str) -> Icd10Code:
    """The listed code typed in ``text`` if a diagnosis may carry it (a billable code).

    Raises DiagnosisError, with a message for the form, for a code the list lacks or a
    category header (naming its first billable code as an example).
    """
    code = lookup(text)
    if code is None:
        typed = " ".join(text.split())[:12]
        msg = f"“{typed}” is not an ICD-10-CM code in kapclinic's list ({RELEASE})."
        raise DiagnosisError(msg)
    if not code.billable:
        example = next(
            e.code for e in _entries() if e.key.startswith(code.compact) and e.code.billable
        )
        msg = (
            f"{code.code} ({code.description}) is a category, not a code to record: choose a "
            f"more specific one, e.g. {example.code} ({example.description})."
        )
        raise DiagnosisError(msg)
    return code


def _read(text: str) -> tuple[list[str], list[str]]:
    """The query's code-shaped words (compact) and its other words (folded)."""
    code_words: list[str] = []
    title_words: list[str] = []
    for raw in text[:MAX_QUERY_LENGTH].split()[:_MAX_WORDS]:
        candidate = raw.replace(".", "").upper()
        if _CODE_SHAPE.match(candidate):
            code_words.append(candidate)
        else:
            title_words.extend(fold(raw).split())
    return code_words, title_words


def search(text: str, limit: int = 20) -> list[Icd10Code]:
    """Codes matching ``text`` (see the module docstring), best first, at most ``limit``."""
    limit = max(1, min(limit, MAX_RESULTS))
    code_words, title_words = _read(text)
    if not code_words and not title_words:
        return []
    ranked: list[tuple[int, int, Icd10Code]] = []
    for position, entry in enumerate(_entries()):
        if not all(entry.key.startswith(word) for word in code_words):
            continue
        if not all(f" {word}" in entry.words for word in title_words):
            continue
        if code_words and entry.key in code_words:
            rank = 0
        elif code_words:
            rank = 1
        else:
            rank = 2
        ranked.append((rank, position, entry.code))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [code for _, _, code in ranked[:limit]]
