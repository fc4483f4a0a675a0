"""The protocol templates kapclinic ships (``data/*.json``), parsed and checked once per process.

Each clinic gets its own copy of each template as version 1 of that protocol
(``scheduling.services.ensure_shipped_protocols``); after that the clinic's versions are its
own. An invalid template fails loudly on first use, and in the test suite.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final

from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.protocols.definition import Protocol
from kapclinic.scheduling.protocols.parser import parse_protocol

DATA_DIR: Final = Path(__file__).resolve().parent / "data"


@cache
def shipped_protocols() -> tuple[Protocol, ...]:
    """Every shipped template, in the order of their file names."""
    found: list[Protocol] = []
    for path in sorted(DATA_DIR.glob("*.json")):
        try:
            protocol = parse_protocol(json.loads(path.read_text(encoding="utf-8")))
        except ProtocolDefinitionError as error:
            raise ProtocolDefinitionError([f"{path.name}: {p}" for p in error.problems]) from error
        if protocol.code != path.stem:
            raise ProtocolDefinitionError([f"{path.name}: the code must be '{path.stem}'"])
        found.append(protocol)
    return tuple(found)
