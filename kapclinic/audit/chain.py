"""Pure hashing of audit entries (no ORM): what verify_audit and record() agree on."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS_HASH = "0" * 64


def jsonable(value: Any) -> Any:
    """A value that survives a JSON round trip unchanged (strings for dates, decimals, uuids)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | float):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return str(value)


def entry_hash(content: dict[str, Any], prev_hash: str) -> str:
    payload = json.dumps(
        {"content": jsonable(content), "prev": prev_hash},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()
