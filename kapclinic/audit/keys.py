"""The audit keys from settings: the current one seals, the retired ones still verify."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from kapclinic.audit.chain import AuditKey, audit_key


@lru_cache(maxsize=32)
def _key(secret: str) -> AuditKey:
    # Cached by the secret itself, so record() derives the key id once per process and a test's
    # override_settings(AUDIT_KEY=...) still takes effect.
    return audit_key(secret)


def current_key() -> AuditKey:
    return _key(settings.AUDIT_KEY)


def known_keys() -> dict[str, AuditKey]:
    """Every key verify_audit accepts, by id: the retired ones and the current one."""
    keys = {key.id: key for key in (_key(secret) for secret in settings.AUDIT_RETIRED_KEYS)}
    current = current_key()
    keys[current.id] = current
    return keys
