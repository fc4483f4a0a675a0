"""Pure hashing of audit entries and checkpoints (no ORM, no settings): what record(),
audit_checkpoint and verify_audit agree on.

Issue 10, point 4: a plain hash can be recomputed by anyone who can write to the database, so
every entry written since then is sealed with HMAC-SHA256 under a key that lives outside the
database (``AUDIT_KEY``). Entries written before carry no key id and a plain SHA-256 ("legacy
unkeyed"); they are checked the old way and reported as such, never re-sealed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS_HASH = "0" * 64
LEGACY_KEY_ID = ""  # the key id column of entries written before the trail was keyed
# Issue 12, point 8: one chain per chain key, each with its own head, positions and
# checkpoints. The audit trail keeps one chain per clinic and GLOBAL_CHAIN for entries that
# belong to no clinic; GLOBAL_CHAIN also holds every entry written before the split (ADR 0008).
GLOBAL_CHAIN = "global"
CHAIN_KEY_LENGTH = 64
CHECKPOINT_VERSION = 2
# Version 1 lines (written before the split) name no chain: they are checkpoints of GLOBAL_CHAIN.
CHAINED_CHECKPOINT_VERSION = 2


@dataclass(frozen=True)
class AuditKey:
    """A sealing key and its public id (derived from the key, so the two never disagree)."""

    id: str
    secret: bytes

    def __repr__(self) -> str:  # never print the secret (tracebacks, debug pages)
        return f"AuditKey(id={self.id!r})"


def audit_key(secret: str) -> AuditKey:
    # The id is a MAC of a fixed label: it names the key in every entry and checkpoint without
    # revealing anything about it, and a typo in the configured key shows up as an unknown id.
    raw = secret.encode("utf-8")
    key_id = hmac.new(raw, b"kapclinic audit key id", hashlib.sha256).hexdigest()[:12]
    return AuditKey(id=key_id, secret=raw)


CLINIC_CHAIN_PREFIX = "clinic:"


def clinic_chain(clinic_id: UUID) -> str:
    """The chain key of a clinic's audit entries."""
    return f"{CLINIC_CHAIN_PREFIX}{clinic_id}"


def chained_content(content: dict[str, Any], chain: str) -> dict[str, Any]:
    """`content` with the chain key it is sealed in, so that no entry can move to another chain.

    GLOBAL_CHAIN's entries do not name it: they hash exactly as every entry did before chains had
    keys, so the entries written then still verify (ADR 0008).
    """
    return content if chain == GLOBAL_CHAIN else {**content, "chain": chain}


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


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def legacy_entry_hash(content: dict[str, Any], prev_hash: str) -> str:
    """The unkeyed SHA-256 of entries written before the trail was keyed (verification only)."""
    return hashlib.sha256(_canonical({"content": jsonable(content), "prev": prev_hash})).hexdigest()


def sealed_entry_hash(content: dict[str, Any], prev_hash: str, key: AuditKey) -> str:
    """HMAC-SHA256 of an entry's content, the previous entry's hash and the sealing key's id."""
    payload = _canonical({"content": jsonable(content), "key_id": key.id, "prev": prev_hash})
    return hmac.new(key.secret, payload, hashlib.sha256).hexdigest()


def legacy_boundary_seal(*, position: int, entry_hash: str, key: AuditKey) -> str:
    """``<key id>:<mac>`` attesting that entries 1..position are the legacy unkeyed ones.

    Written once, when the key column was added: without it an attacker could rewrite the
    whole trail as "legacy" plain SHA-256 and pass the key check.
    """
    payload = _canonical({"kind": "legacy-boundary", "position": position, "hash": entry_hash})
    return f"{key.id}:{hmac.new(key.secret, payload, hashlib.sha256).hexdigest()}"


def legacy_boundary_is_valid(
    seal: str, *, position: int, entry_hash: str, keys: dict[str, AuditKey]
) -> bool:
    key_id, _, _ = seal.partition(":")
    key = keys.get(key_id)
    if key is None:
        return False
    expected = legacy_boundary_seal(position=position, entry_hash=entry_hash, key=key)
    return hmac.compare_digest(expected, seal)


@dataclass(frozen=True)
class Checkpoint:
    """One chain's head at a moment, signed, for a store outside the database."""

    position: int
    entry_hash: str
    at: str  # ISO 8601, UTC
    key_id: str
    signature: str
    chain: str = GLOBAL_CHAIN
    version: int = CHECKPOINT_VERSION

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "v": self.version,
            "position": self.position,
            "entry_hash": self.entry_hash,
            "at": self.at,
            "key_id": self.key_id,
            "signature": self.signature,
        }
        if self.version >= CHAINED_CHECKPOINT_VERSION:
            document["chain"] = self.chain
        return json.dumps(document, sort_keys=True, separators=(",", ":"))


class BadCheckpointLineError(ValueError):
    pass


def _checkpoint_mac(
    *, version: int, chain: str, position: int, entry_hash: str, at: str, key: AuditKey
) -> str:
    # "kind" keeps a checkpoint signature from ever being mistaken for an entry hash; from
    # version 2 the chain key is signed too, so one chain's checkpoint never passes for another's.
    document: dict[str, Any] = {
        "kind": "checkpoint",
        "v": version,
        "position": position,
        "entry_hash": entry_hash,
        "at": at,
        "key_id": key.id,
    }
    if version >= CHAINED_CHECKPOINT_VERSION:
        document["chain"] = chain
    return hmac.new(key.secret, _canonical(document), hashlib.sha256).hexdigest()


def sign_checkpoint(
    *, position: int, entry_hash: str, at: datetime, key: AuditKey, chain: str = GLOBAL_CHAIN
) -> Checkpoint:
    stamp = at.isoformat(timespec="seconds")
    signature = _checkpoint_mac(
        version=CHECKPOINT_VERSION,
        chain=chain,
        position=position,
        entry_hash=entry_hash,
        at=stamp,
        key=key,
    )
    return Checkpoint(position, entry_hash, stamp, key.id, signature, chain)


def _checkpoint_in(line: str) -> Checkpoint | None:
    """The checkpoint one JSON line holds, or None when it holds none."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") not in (1, CHECKPOINT_VERSION):
        return None
    version = data["v"]
    chain = data.get("chain") if version >= CHAINED_CHECKPOINT_VERSION else GLOBAL_CHAIN
    try:
        position, digest = data["position"], data["entry_hash"]
        at, key_id, signature = data["at"], data["key_id"], data["signature"]
    except KeyError:
        return None
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        return None
    if not all(isinstance(v, str) for v in (digest, at, key_id, signature, chain)):
        return None
    if not chain or len(chain) > CHAIN_KEY_LENGTH:
        return None
    return Checkpoint(position, digest, at, key_id, signature, chain, version)


def parse_checkpoint(line: str) -> Checkpoint:
    """A checkpoint from one JSON line; BadCheckpointLineError when it is not one."""
    checkpoint = _checkpoint_in(line)
    if checkpoint is None:
        msg = "not a checkpoint (malformed JSON or missing fields)"
        raise BadCheckpointLineError(msg)
    return checkpoint


def checkpoint_signature_is_valid(checkpoint: Checkpoint, key: AuditKey) -> bool:
    expected = _checkpoint_mac(
        version=checkpoint.version,
        chain=checkpoint.chain,
        position=checkpoint.position,
        entry_hash=checkpoint.entry_hash,
        at=checkpoint.at,
        key=key,
    )
    return checkpoint.key_id == key.id and hmac.compare_digest(expected, checkpoint.signature)
