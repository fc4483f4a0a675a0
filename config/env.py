"""Typed readers for configuration taken from the process environment.

Every setting in config/settings.py comes through one of these, so a bad value fails at
start-up with ImproperlyConfigured naming the variable, never later with a confusing error.
A secret may also be read from a file named by ``<NAME>_FILE`` (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    msg = f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}"
    raise ImproperlyConfigured(msg)


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        msg = f"{name} must be a whole number, got {raw!r}"
        raise ImproperlyConfigured(msg) from None
    if minimum is not None and value < minimum:
        msg = f"{name} must be at least {minimum}, got {value}"
        raise ImproperlyConfigured(msg)
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_origin(name: str, default: str) -> str:
    """An origin such as ``https://kap.example.org`` (scheme and host, optional port; no path,
    query, fragment or credentials); empty when unset and the default is empty."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path.strip("/")
        or parts.query
        or parts.fragment
        or parts.username is not None
        or port == -1
    ):
        msg = (
            f"{name} must be an origin such as https://kap.example.org (scheme, host and "
            f"optional port; no path, query or credentials), got {raw!r}"
        )
        raise ImproperlyConfigured(msg)
    return f"{parts.scheme}://{parts.netloc}"


def env_secret(name: str) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE; None when neither is set."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            msg = f"{name}_FILE={file_name!r} cannot be read: {error.strerror}"
            raise ImproperlyConfigured(msg) from None
    return os.environ.get(name)


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name, default)
    if value not in zoneinfo.available_timezones():
        msg = f"{name} must be an IANA time zone such as America/Chicago, got {value!r}"
        raise ImproperlyConfigured(msg)
    return value
