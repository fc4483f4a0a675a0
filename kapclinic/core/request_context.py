"""Who is asking, for code far from the view: the request id and client address of this request.

Set by RequestIdMiddleware for the duration of a request; None in commands and tasks.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip_address: str | None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "request_context", default=None
)


def current_request_context() -> RequestContext | None:
    return _current.get()


def current_request_id() -> str | None:
    context = _current.get()
    return context.request_id if context else None


def set_request_context(value: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _current.set(value)


def reset_request_context(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
