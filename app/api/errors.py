"""One error body for every failure: `{"error": {"code", "message", "request_id"}}`, and the handlers that make it.

Domain errors map to HTTP statuses here, in one table, so routes simply let them propagate. Unknown exceptions
never reach this module: the request middleware turns them into a 500 with this same body and logs the
traceback (see `middleware.py`), because Starlette runs a catch-all handler outside every middleware.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import context
from assistant.application.policy import Forbidden
from domain.errors import (
    OUTAGE_ERRORS,
    Conflict,
    ContentionError,
    DomainError,
    IllegalTransition,
    InsufficientCredits,
    InsufficientStock,
    InvalidInput,
    NotFound,
    QuotaExceeded,
)

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    field: str = Field(description="Where: a body field, a query parameter or a header")
    problem: str


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable, machine-readable: e.g. unauthorized, rate_limited, validation_error")
    message: str = Field(description="What went wrong and what to do about it, for a person")
    request_id: str = Field(description="Quote it when asking for help; it is in the server logs")
    details: list[FieldProblem] | None = Field(default=None, description="Each invalid field (422 only)")


class ErrorBody(BaseModel):
    error: ErrorInfo


class ApiError(Exception):
    """Raised by routes and dependencies for refusals that are not domain errors (auth, roles, limits)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


# Domain error -> HTTP status; subclasses first where it matters (all are direct subclasses today).
DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidInput, 422),
    (InsufficientCredits, 402),
    (QuotaExceeded, 429),
    (InsufficientStock, 409),
    (IllegalTransition, 409),
    (Conflict, 409),
    (ContentionError, 503),
]
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


def request_id_of(request: Request | None = None) -> str:
    ctx = context.current()
    if ctx is not None:
        return ctx.request_id
    if request is not None and "request_id" in request.scope.get("state", {}):
        result: str = request.scope["state"]["request_id"]
        return result
    return "unknown"


def error_response(
    status: int,
    code: str,
    message: str,
    request_id: str,
    headers: dict[str, str] | None = None,
    details: list[FieldProblem] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorInfo(code=code, message=message, request_id=request_id, details=details))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def domain_status(exc: DomainError) -> int:
    for cls, status in DOMAIN_STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def domain_headers(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, QuotaExceeded):
        return {"Retry-After": str(max(1, int(exc.retry_after_seconds)))}
    if isinstance(exc, ContentionError):
        return {"Retry-After": "1"}
    return {}


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where, rest = parts[0], parts[1:]
        if not rest:
            return "body" if where == "body" else where
        return ".".join(rest) if where == "body" else f"{'.'.join(rest)} ({where})"
    return ".".join(parts) or "request"


def flatten_validation(errors: list[dict[str, Any]]) -> list[FieldProblem]:
    problems = []
    for err in errors:
        kind = err.get("type", "")
        msg = err.get("msg", "invalid")
        if kind == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            position = err["loc"][1] if len(err.get("loc", ())) > 1 else "?"
            problems.append(FieldProblem(field="body", problem=f"not valid JSON ({detail} at character {position})"))
            continue
        if kind == "missing" and tuple(err.get("loc", ())) == ("body",):
            problems.append(FieldProblem(field="body", problem="a JSON body is required"))
            continue
        problems.append(FieldProblem(field=_field_name(err.get("loc", ())), problem=msg))
    return problems


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, request_id_of(request), exc.headers)


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    status = domain_status(exc)
    log.info("refused: %s", exc.message, extra={"error_code": exc.code, "status": status})
    return error_response(status, exc.code, exc.message, request_id_of(request), domain_headers(exc))


OUTAGE_RETRY_AFTER_SECONDS = 5


async def _outage(request: Request, exc: Exception) -> JSONResponse:
    log.warning("the database did not answer: %s", type(exc).__name__)
    message = "the database is not answering at the moment; retry in a few seconds (with the same X-Request-ID)"
    headers = {"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)}
    return error_response(503, "unavailable", message, request_id_of(request), headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = flatten_validation(list(exc.errors()))
    message = "the request is invalid: " + "; ".join(f"{p.field}: {p.problem}" for p in problems)
    return error_response(422, "validation_error", message, request_id_of(request), details=problems)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status, code, message = exc.status_code, HTTP_CODES.get(exc.status_code, "error"), str(exc.detail)
    if status == 400:  # FastAPI's "error parsing the body" (e.g. bytes that are not UTF-8): malformed input is 422
        status, code = 422, "validation_error"
        message = (
            "the request is invalid: body: it could not be parsed; send UTF-8 JSON with "
            "`Content-Type: application/json` (multipart/form-data for /v1/ingest)"
        )
    elif exc.status_code == 404 and message == "Not Found":
        message = f"there is no route {request.method} {request.url.path}; see /docs"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}; see /docs"
    return error_response(status, code, message, request_id_of(request), dict(exc.headers or {}))


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    for outage in OUTAGE_ERRORS:  # Firestore down or too slow (bounded by domain.store): 503, not a 500
        app.add_exception_handler(outage, _outage)  # type: ignore[arg-type]


def doc(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the given error statuses, all with the one error body."""
    texts = {
        401: "Missing or unknown API key (send `Authorization: Bearer <key>`)",
        402: "Not enough AI credits for this request; an admin can top up",
        403: "The API key's role may not use this route",
        404: "Not found in the caller's organisation",
        409: "Conflicts with the current state (e.g. a confirmation already handled)",
        413: "The request body is larger than the limit",
        422: "Invalid input; `message` and `details` say what to fix",
        429: "Rate limit or daily AI quota reached; wait `Retry-After` seconds",
        503: "A backend this route needs is not available",
    }
    return {status: {"model": ErrorBody, "description": texts.get(status, "Error")} for status in statuses}
