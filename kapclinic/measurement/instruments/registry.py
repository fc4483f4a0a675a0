"""The shipped instruments, loaded and validated once per process, and licensed-text loading.

An invalid data file fails loudly on first use (and in the test suite), never silently.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Final

from kapclinic.measurement.exceptions import InstrumentDefinitionError, UnknownInstrumentError
from kapclinic.measurement.instruments.definition import AnswerOption, Instrument
from kapclinic.measurement.instruments.loader import load_file

DATA_DIR: Final = Path(__file__).resolve().parent / "data"


@cache
def _registry() -> Mapping[tuple[str, str], Instrument]:
    found: dict[tuple[str, str], Instrument] = {}
    for path in sorted(DATA_DIR.glob("*.json")):
        instrument = load_file(path)
        key = (instrument.code, instrument.version)
        if key in found:
            raise InstrumentDefinitionError(path.name, [f"{key} is defined twice"])
        found[key] = instrument
    return found


def all_instruments() -> tuple[Instrument, ...]:
    """Every shipped instrument version, ordered by code then version."""
    return tuple(sorted(_registry().values(), key=lambda item: (item.code, int(item.version))))


def get_instrument(code: str, version: str | None = None) -> Instrument:
    """The instrument ``code`` at ``version``, or its latest version when ``version`` is None.

    Raises UnknownInstrumentError when there is no such code or version.
    """
    versions = [item for item in all_instruments() if item.code == code]
    if not versions:
        msg = f"no instrument with code '{code}'"
        raise UnknownInstrumentError(msg)
    if version is None:
        return versions[-1]
    for instrument in versions:
        if instrument.version == version:
            return instrument
    msg = f"instrument '{code}' has no version '{version}'"
    raise UnknownInstrumentError(msg)


def with_licensed_texts(
    definition: Instrument,
    texts: Mapping[str, str],
    *,
    option_labels: Mapping[str, Mapping[int, str]] | None = None,
    stem: str = "",
) -> Instrument:
    """Return a copy of ``definition`` carrying a clinic's licensed wording.

    ``texts`` maps every item id to its text; ``option_labels`` maps item ids to
    {answer value: anchor label}. Scoring, skip logic and alerts are unchanged. Raises
    InstrumentDefinitionError when an id or value is unknown, an item is left without text,
    or the instrument already ships its own texts.
    """
    problems: list[str] = []
    if definition.has_texts:
        problems.append("this instrument ships its own item texts")
    ids = set(definition.item_ids)
    unknown = sorted(set(texts) - ids)
    if unknown:
        problems.append(f"texts for unknown items: {', '.join(unknown)}")
    without = [
        item_id for item_id in definition.item_ids if not str(texts.get(item_id, "")).strip()
    ]
    if without:
        problems.append(f"items without text: {', '.join(without)}")
    labels = option_labels or {}
    unknown_labelled = sorted(set(labels) - ids)
    if unknown_labelled:
        problems.append(f"option labels for unknown items: {', '.join(unknown_labelled)}")
    for item in definition.items:
        extra = sorted(set(labels.get(item.id, {})) - item.values)
        if extra:
            problems.append(f"item {item.id} has no answer value(s) {extra}")
    if problems:
        msg = f"licensed texts for {definition.code}"
        raise InstrumentDefinitionError(msg, problems)
    items = tuple(
        dataclasses.replace(
            item,
            text=texts[item.id].strip(),
            options=tuple(
                AnswerOption(
                    value=option.value,
                    label=labels.get(item.id, {}).get(option.value, option.label),
                )
                for option in item.options
            ),
        )
        for item in definition.items
    )
    return dataclasses.replace(
        definition, items=items, stem=stem or definition.stem, texts_loaded=True
    )


def load_licensed_texts(definition: Instrument, path: Path) -> Instrument:
    """``with_licensed_texts`` from a clinic's JSON file.

    Format: {"stem": "...", "items": {"<item id>": "<text>"},
             "options": {"<item id>": {"<value>": "<label>"}}}
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = {str(key): str(value) for key, value in data.get("items", {}).items()}
        options = {
            str(item_id): {int(value): str(label) for value, label in labels.items()}
            for item_id, labels in data.get("options", {}).items()
        }
        stem = str(data.get("stem", ""))
    except (OSError, ValueError, AttributeError, TypeError) as error:
        raise InstrumentDefinitionError(
            str(path), [f"cannot read licensed texts: {error}"]
        ) from error
    return with_licensed_texts(definition, items, option_labels=options, stem=stem)
