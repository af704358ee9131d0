"""Structured JSON logs: one object per line, with the request id and organisation of the request being served.

`configure_logging` puts a JSON handler on the project's package loggers (`app`, `assistant`, `domain`, `retrieval`,
`ingestion`, `ui`), so a traceback written by the service during a request carries the same request id as the
access line the middleware writes. Third-party loggers (uvicorn, httpx) keep their own format.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from app.api import context

ACCESS_LOGGER = "app.api.access"
PACKAGE_LOGGERS = ("app", "assistant", "domain", "retrieval", "ingestion", "ui")
# Attributes every LogRecord has; anything else on a record came in through `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class ContextFilter(logging.Filter):
    """Copies the current request's id and organisation onto each record (unless the caller set them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        if ctx is not None:
            if getattr(record, "request_id", None) is None:
                record.request_id = ctx.request_id
            if getattr(record, "org_id", None) is None:
                record.org_id = ctx.org_id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _StreamHandler(logging.StreamHandler[Any]):
    """Writes to `sys.stderr` as it is at the time of writing (test runners swap it), unless given a stream."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self._fixed = stream

    @property
    def stream(self) -> IO[str]:
        return self._fixed or sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass  # the base class assigns it in __init__; we resolve it at each write instead


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    handler = _StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.set_name("fluxori-json")
    return handler


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Idempotent: a second app in the same process (tests) does not add a second handler."""
    for name in PACKAGE_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(h.get_name() == "fluxori-json" for h in logger.handlers):
            logger.addHandler(json_handler(stream))
        # Records still propagate: uvicorn leaves the root logger without handlers (so nothing is printed twice),
        # and test runners that capture through the root logger keep seeing them.
