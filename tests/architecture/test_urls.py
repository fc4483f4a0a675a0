"""Deny by default: every page needs a signed-in user unless it is on the short public list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# Pages anyone may open. Adding to this list is a security decision: say why next to the entry.
PUBLIC_VIEWS = {
    "accounts:login",  # the way in
    "accounts:sign-in-link-request",  # patients ask for a one-time link; same answer for anyone
    "accounts:sign-in-link",  # the e-mailed one-time link itself (random token, single use)
    # A staff invitation (random token, spent when the password is set, expires): the invited
    # person has no password to sign in with yet.
    "administration:welcome",
    "healthz",  # load-balancer liveness; returns "ok" and touches no data
    "self-check",  # the public "could ketamine suit me?" page and appointment request
    "questionnaire-link",  # a one-time questionnaire link (random token, single use, expires)
    "questionnaire",  # the questionnaire that link opened, bound to that browser session only
    # A calendar feed read by calendar apps, which cannot sign in: the random token (32 bytes,
    # only its SHA-256 stored) is the key; revocable; no patient named in staff and room feeds.
    "calendar-feed",
}


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or entry.pattern}", entry.callback


def test_only_listed_pages_are_open_without_login() -> None:
    open_views = {
        name
        for name, view in _walk(get_resolver().url_patterns)
        if getattr(view, "login_required", True) is False and not name.startswith("admin:")
    }
    assert open_views == PUBLIC_VIEWS


def test_every_page_has_a_name() -> None:
    unnamed = [
        name
        for name, _ in _walk(get_resolver().url_patterns)
        if not name.startswith("admin:") and ":" not in name and name not in PUBLIC_VIEWS
    ]
    assert unnamed == []
