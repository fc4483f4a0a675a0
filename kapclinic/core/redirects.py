"""Where a "go back" or "next" value may send the browser: a page of this site, never another
host and never a value that redirect() would try to reverse as a URL name."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.urls import Resolver404, get_script_prefix, resolve
from django.utils.http import url_has_allowed_host_and_scheme


def local_url(request: HttpRequest, candidate: object) -> str | None:
    """``candidate`` if it is a URL of this site (same host, a path that resolves to a view),
    else None.

    The path must be absolute: redirect() reverses anything without "/" or "." as a URL name
    (``next=foo`` was a 500), and a relative one lands wherever the current page is. Control
    characters are refused outright rather than trusted to be encoded on the way out.
    """
    if not isinstance(candidate, str) or not candidate:
        return None
    if any(unicodedata.category(char) == "Cc" for char in candidate):
        return None
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    path = urlsplit(candidate).path
    prefix = get_script_prefix()
    if not path.startswith(prefix):
        return None
    try:
        resolve("/" + path.removeprefix(prefix))
    except Resolver404:
        return None
    return candidate
