"""The request middleware (pure ASGI, so streaming responses pass through untouched):

- a request id per request: the client's `X-Request-ID` when well-formed, else a new one; echoed in every
  response's header, bound to the logging context and put into error bodies;
- request body limits on `/v1` (JSON and uploads differ), answered with 413 before the app reads too much;
- the last line of defence: an exception no handler took becomes a 500 with the standard error body, and its
  traceback goes to the log only;
- one structured access log line per request (route, status, latency, organisation), and the request's
  metrics (`domain.metrics`: by route template, method and status class; streamed responses apart).
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import context
from app.api.errors import error_response
from app.api.logging import ACCESS_LOGGER
from domain.metrics import HTTP_DURATION, HTTP_REQUESTS, status_class

log = logging.getLogger(__name__)
access = logging.getLogger(ACCESS_LOGGER)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit; FastAPI re-raises HTTPExceptions met while reading a
    body, so this reaches the exception handlers and becomes the standard 413 body."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request body is larger than {limit} bytes; send less")


class RequestMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int, upload_paths: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = upload_paths

    def _limit(self, path: str) -> int | None:
        if path in self.upload_paths:
            return self.max_upload_bytes
        if path.startswith("/v1/"):
            return self.max_json_bytes
        return None  # the mounted UI has limits of its own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        ctx = context.RequestContext(
            request_id=context.accept_request_id(headers.get("x-request-id")),
            method=scope["method"],
            path=scope["path"],
        )
        scope.setdefault("state", {})["request_id"] = ctx.request_id
        token = context.bind(ctx)
        started = time.perf_counter()
        status = 500
        response_started = streaming = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started, streaming
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                streaming = any(
                    k.lower() == b"content-type" and v.startswith(b"text/event-stream") for k, v in message["headers"]
                )
                message.setdefault("headers", [])
                message["headers"] = [
                    *[(k, v) for k, v in message["headers"] if k.lower() != b"x-request-id"],
                    (b"x-request-id", ctx.request_id.encode()),
                ]
            await send(message)

        limit = self._limit(scope["path"])
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if limit is not None and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            declared = headers.get("content-length", "")
            if limit is not None and declared.isdigit() and int(declared) > limit:
                await error_response(413, "payload_too_large", BodyTooLarge(limit).detail, ctx.request_id)(
                    scope, receive, send_with_id
                )
            else:
                await self.app(scope, receive_limited if limit is not None else receive, send_with_id)
        except Exception:
            log.exception("unhandled error while serving %s %s", ctx.method, ctx.path)
            if not response_started:  # once a response started there is no way to replace it: the log must do
                await error_response(
                    500,
                    "internal",
                    "something went wrong on our side; it has been logged - quote the request id if it persists",
                    ctx.request_id,
                )(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"  # a template, never the raw path: bounded labels
            seconds = time.perf_counter() - started
            HTTP_REQUESTS.labels(route=template, method=ctx.method, status_class=status_class(status)).inc()
            HTTP_DURATION.labels(route=template, method=ctx.method, streaming=str(streaming).lower()).observe(seconds)
            access.info(
                "%s %s %s",
                ctx.method,
                ctx.path,
                status,
                extra={
                    "route": getattr(route, "path", None) or ctx.route,
                    "method": ctx.method,
                    "path": ctx.path,
                    "status": status,
                    "latency_ms": round(seconds * 1000, 1),
                    "role": ctx.role,
                },
            )
            context.unbind(token)
