"""Per-request context shared by the middleware, the auth dependency and the log formatter.

One mutable object per request, held in a context variable: the middleware creates it, the auth dependency
fills in the organisation (from a worker thread, which sees a *copy* of the context but the *same* object), and
every log record written while the request runs picks both up.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

# Accepted from clients as is; anything else is replaced. The service also uses the request id as the
# idempotency key of a turn (no '/', at most 200 chars), so a well-formed id must satisfy that too.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


@dataclass
class RequestContext:
    request_id: str
    method: str = ""
    path: str = ""
    org_id: str | None = None
    role: str | None = None
    route: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


_current: ContextVar[RequestContext | None] = ContextVar("fluxori_request_context", default=None)


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def accept_request_id(value: str | None) -> str:
    """The client's id when it is well-formed (so it can correlate and retry), else a fresh one."""
    if value and REQUEST_ID_PATTERN.match(value):
        return value
    return new_request_id()


def current() -> RequestContext | None:
    return _current.get()


def bind(context: RequestContext) -> object:
    return _current.set(context)


def unbind(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
