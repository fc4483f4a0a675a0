"""Pure rules of licensed wording: read a clinic's wording file and check it against the
instrument item by item, store it canonically, apply it, and say in plain words what each
licence status means. No ORM, no settings, no clock.

The file format is the one ``load_licensed_texts`` reads (docs/measurement.md): ``{"stem": "...",
"items": {"<item id>": "<text>"}, "options": {"<item id>": {"<value>": "<label>"}}}``.
``with_licensed_texts`` stays the final judge: a file this module passes is handed to it, and
anything it still refuses is reported too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from unicodedata import category

from kapclinic.measurement.exceptions import InstrumentDefinitionError
from kapclinic.measurement.instruments import Instrument, with_licensed_texts
from kapclinic.measurement.instruments.definition import LicenceStatus
from kapclinic.measurement.licensing.exceptions import LicensedWordingError, Problem

MAX_FILE_BYTES: Final = 256 * 1024
MAX_TEXT_LENGTH: Final = 2000  # an item's text or the stem
MAX_LABEL_LENGTH: Final = 300  # an answer's label
KEYS: Final = ("stem", "items", "options")
# Bidirectional embeddings, overrides and isolates: they can make shown text read differently
# from what was checked, so a wording may not carry them (nor control characters).
_BIDI: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_WHOLE_NUMBER: Final = re.compile(r"-?[0-9]{1,6}")

# Where the wording is loaded, in the words of the navigation.
WHERE: Final = "Clinic → Instruments"


@dataclass(frozen=True)
class Wording:
    """A checked wording: what ``with_licensed_texts`` takes."""

    stem: str
    items: Mapping[str, str]
    options: Mapping[str, Mapping[int, str]]

    def stored(self) -> dict[str, Any]:
        """The JSON kept in ``LicensedWording.texts`` (answer values as strings, as in files)."""
        return {
            "stem": self.stem,
            "items": dict(self.items),
            "options": {
                item: {str(value): label for value, label in labels.items()}
                for item, labels in self.options.items()
            },
        }


def sha256_of(stored: Mapping[str, Any]) -> str:
    """The hash the audit trail records for a wording (canonical JSON, keys sorted)."""
    canonical = json.dumps(stored, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _unsafe(text: str) -> bool:
    return any(ch in _BIDI or (category(ch) == "Cc" and ch not in "\n\t") for ch in text)


def _text_problem(value: object, *, what: str, limit: int) -> str:
    """Why ``value`` cannot be a text ("" when it can)."""
    if not isinstance(value, str):
        return f"{what} must be text in quotes"
    if not value.strip():
        return f"{what} is empty"
    if len(value) > limit:
        return f"{what} is longer than {limit} characters"
    if _unsafe(value):
        return f"{what} contains control or text-direction characters"
    return ""


def _read(raw: str) -> tuple[dict[str, Any], list[Problem]]:
    if len(raw.encode("utf-8")) > MAX_FILE_BYTES:
        return {}, [Problem("", f"The file is larger than {MAX_FILE_BYTES // 1024} KB.")]
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: nested too deep
        where = ""
        if isinstance(error, json.JSONDecodeError):
            where = f" (line {error.lineno}, column {error.colno}: {error.msg})"
        return {}, [Problem("", f"The file is not valid JSON{where}.")]
    if not isinstance(data, dict):
        return {}, [
            Problem("", 'The file must be one JSON object with "items" (and "stem", "options").')
        ]
    problems = [
        Problem("", f'Unknown key "{key}": only "stem", "items" and "options" are read.')
        for key in data
        if key not in KEYS
    ]
    return data, problems


def _stem(data: Mapping[str, Any], problems: list[Problem]) -> str:
    stem = data.get("stem", "")
    if stem == "":
        return ""
    problem = _text_problem(stem, what="The stem", limit=MAX_TEXT_LENGTH)
    if problem:
        problems.append(Problem("", f"{problem}."))
        return ""
    return str(stem).strip()


def _items(
    definition: Instrument, data: Mapping[str, Any], problems: list[Problem]
) -> dict[str, str]:
    given = data.get("items", {})
    if not isinstance(given, dict):
        problems.append(Problem("", '"items" must be an object: {"<item id>": "<text>"}.'))
        given = {}
    texts: dict[str, str] = {}
    for item in definition.items:
        if item.id not in given:
            problems.append(Problem(item.id, f"no text ({item.label})."))
            continue
        problem = _text_problem(given[item.id], what="the text", limit=MAX_TEXT_LENGTH)
        if problem:
            problems.append(Problem(item.id, f"{problem} ({item.label})."))
        else:
            texts[item.id] = str(given[item.id]).strip()
    problems.extend(
        Problem(str(key), f"no such item in {definition.code} version {definition.version}.")
        for key in given
        if key not in definition.item_ids
    )
    return texts


def _option_labels(
    definition: Instrument, data: Mapping[str, Any], problems: list[Problem]
) -> dict[str, dict[int, str]]:
    given = data.get("options", {})
    if not isinstance(given, dict):
        problems.append(Problem("", '"options" must be an object: {"<item id>": {...}}.'))
        return {}
    labels: dict[str, dict[int, str]] = {}
    for key, values in given.items():
        if key not in definition.item_ids:
            problems.append(Problem(str(key), "answer labels for an item the instrument lacks."))
            continue
        item = definition.item(key)
        allowed = ", ".join(str(v) for v in sorted(item.values))
        if not isinstance(values, dict):
            problems.append(Problem(key, 'answer labels must be an object: {"<value>": "..."}.'))
            continue
        for value, label in values.items():
            number = int(value) if _WHOLE_NUMBER.fullmatch(str(value)) else None
            if number is None or number not in item.values:
                problems.append(Problem(key, f'no answer value "{value}" (values: {allowed}).'))
                continue
            problem = _text_problem(label, what=f"the label of {number}", limit=MAX_LABEL_LENGTH)
            if problem:
                problems.append(Problem(key, f"{problem}."))
                continue
            labels.setdefault(key, {})[number] = str(label).strip()
    return labels


def parse_wording(definition: Instrument, raw: str) -> Wording:
    """Read a wording file for ``definition`` and check it item by item.

    Raises LicensedWordingError (field "wording") listing every problem: not JSON, an unknown
    key, an item without text or not in the instrument, an answer value the item lacks, a text
    too long or carrying control characters, or an instrument that ships its own wording; and
    whatever ``with_licensed_texts`` still refuses."""
    if definition.has_texts:
        msg = f"{definition.title} ships its own wording: there is nothing to load."
        raise LicensedWordingError(
            msg,
            field="wording",
        )
    data, problems = _read(raw)
    wording = Wording(stem="", items={}, options={})
    if data:
        wording = Wording(
            stem=_stem(data, problems),
            items=_items(definition, data, problems),
            options=_option_labels(definition, data, problems),
        )
    if not problems:
        try:
            apply(definition, wording)
        except InstrumentDefinitionError as error:
            problems.extend(Problem("", problem) for problem in error.problems)
    if problems:
        msg = f"The wording was not loaded: {len(problems)} problem(s) to fix in the file."
        raise LicensedWordingError(
            msg,
            field="wording",
            problems=problems,
        )
    return wording


def apply(definition: Instrument, wording: Wording) -> Instrument:
    """``definition`` carrying ``wording`` (``with_licensed_texts``; raises as it does)."""
    return with_licensed_texts(
        definition, wording.items, option_labels=wording.options, stem=wording.stem
    )


def from_stored(stored: Mapping[str, Any]) -> Wording:
    """The ``Wording`` kept in ``LicensedWording.texts`` (checked when it was loaded)."""
    return Wording(
        stem=str(stored.get("stem", "")),
        items={str(k): str(v) for k, v in stored.get("items", {}).items()},
        options={
            str(item): {int(value): str(label) for value, label in labels.items()}
            for item, labels in stored.get("options", {}).items()
        },
    )


# --- plain words about licences ----------------------------------------------------------------


def short_name(definition: Instrument) -> str:
    """ "C-SSRS Screener (Columbia ...)" -> "C-SSRS Screener"."""
    return definition.title.partition(" (")[0]


def needs_loading(definition: Instrument) -> bool:
    """Whether a clinic must load this instrument's wording before it can be given."""
    return not definition.has_texts


def licence_words(definition: Instrument) -> str:
    """The instrument's licence in a sentence, for the admin's list (clinical reference §4)."""
    licence = definition.licence
    return {
        LicenceStatus.PUBLIC_DOMAIN: "Public domain: its wording ships with kapclinic.",
        LicenceStatus.FREE: "Free to use: its wording ships with kapclinic.",
        LicenceStatus.LOCAL: "Written for kapclinic (not a published, validated instrument): "
        "its wording ships with kapclinic.",
        # R-OUT-4, R-OUT-5: MADRS and the C-SSRS are used electronically only under licence.
        LicenceStatus.PROPRIETARY: f"Licensed ({licence.holder}): electronic use needs the "
        "clinic's own licence, so kapclinic ships no wording.",
        LicenceStatus.UNVERIFIED: "Licence unverified: said to be freely available, but no "
        "licence text was found, so kapclinic ships no wording.",
        LicenceStatus.UNKNOWN: "Licence not found: kapclinic found no licence for it and ships "
        "no wording.",
    }[licence.status]


def unavailable_reason(definition: Instrument) -> str:
    """Why staff cannot give ``definition`` in a clinic that has not loaded its wording (the
    picker's words, after the instrument's name)."""
    status = definition.licence.status
    if status == LicenceStatus.UNKNOWN:
        return (
            "licence not found: its wording cannot be loaded until the clinic confirms its "
            f"licence; a clinic admin then loads it under {WHERE}."
        )
    if status == LicenceStatus.UNVERIFIED:
        return (
            "licence unverified: its wording is not loaded in this clinic. A clinic admin can "
            f"load it under {WHERE} once the clinic has confirmed it may use it."
        )
    return (
        "licensed: its wording is not loaded in this clinic. A clinic admin can load it "
        f"under {WHERE}."
    )


def confirmation_words(definition: Instrument) -> str:
    """What the admin confirms when loading (the load form's checkbox)."""
    status = definition.licence.status
    if status == LicenceStatus.UNKNOWN:
        return (
            "The clinic has confirmed its licence, or the authors' permission, for electronic "
            "use of this instrument (kapclinic found no licence for it)."
        )
    if status == LicenceStatus.UNVERIFIED:
        return (
            "The clinic has confirmed that it may use this wording electronically (kapclinic "
            "found no licence text for it)."
        )
    return (
        "The clinic holds a licence for electronic use of this wording (licence holder: "
        f"{definition.licence.holder})."
    )


def unavailable_message(definition: Instrument) -> str:
    """``unavailable_reason`` after the instrument's name: the refusal staff read."""
    return f"{short_name(definition)} — {unavailable_reason(definition)}"
