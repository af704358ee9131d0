"""Only signed-in admins may upload files through the UI, a few at a time.

Gradio's `POST {ui}/gradio_api/upload` takes files from anyone by default (they land on the server's disk before
any handler runs). This pure ASGI middleware sits in front of it: the caller must present an admin session,
as the `fx_session` cookie the page sets at sign-in (a signed token, `ui.session_token`) or as
`Authorization: Bearer <admin API key or token>` (API clients such as gradio_client); the request must declare
its length, stay under `max_bytes` and carry at most `max_files` files; and it counts against the key's rate
limit like every other call.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.application.policy import Capability, can
from ui.session import UiServices, authenticate, roles_text

SESSION_COOKIE = "fx_session"
MAX_FILES = 20
MAX_BYTES = 50 * 1024 * 1024


class UploadGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        services: UiServices,
        ui_path: str,
        max_files: int = MAX_FILES,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.app = app
        self.services = services
        self.upload_path = f"{ui_path.rstrip('/')}/gradio_api/upload"
        self.max_files = max_files
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Starlette routes `/ui//gradio_api/upload/` to the same handler, so compare the normalised path.
        if scope["type"] != "http" or re.sub(r"/+", "/", scope["path"]).rstrip("/") != self.upload_path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(headers)
        if refusal is None:
            body, refusal = await self._read(headers, receive)
        if refusal is not None:
            status, code, message = refusal
            await JSONResponse({"error": {"code": code, "message": message}}, status)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _refusal(self, headers: Headers) -> tuple[int, str, str] | None:
        credential = ""
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            credential = authorization[7:].strip()
        elif cookie := SimpleCookie(headers.get("cookie", "")).get(SESSION_COOKIE):
            credential = cookie.value
        principal = authenticate(self.services, credential) if credential else None
        if principal is None:
            return 401, "unauthorized", "sign in as an admin to upload files"
        if not can(principal.role, Capability.ingest):
            needed = roles_text(Capability.ingest)
            return 403, "forbidden", f"uploading files needs the {needed} role; this session's role is {principal.role}"
        wait = self.services.gate.limiter.acquire(principal.key_id)
        if wait > 0:
            return 429, "rate_limited", "too many requests with this API key; try again in a moment"
        declared = headers.get("content-length", "")
        if not declared.isdigit():
            return 411, "length_required", "an upload must declare its Content-Length"
        if int(declared) > self.max_bytes:
            return 413, "payload_too_large", f"one upload may carry at most {self.max_bytes // 2**20} MB"
        return None

    async def _read(self, headers: Headers, receive: Receive) -> tuple[bytes, tuple[int, str, str] | None]:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", (400, "disconnected", "the upload was interrupted")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:  # the declared length lied
                return b"", (413, "payload_too_large", f"one upload may carry at most {self.max_bytes // 2**20} MB")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        files = _count_files(body, headers.get("content-type", ""))
        if files > self.max_files:
            return b"", (400, "too_many_files", f"one upload may carry at most {self.max_files} files")
        return body, None


def _count_files(body: bytes, content_type: str) -> int:
    """File parts of a multipart body: parts whose Content-Disposition names a filename."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return 0
    count = 0
    for part in body.split(b"--" + match.group(1).encode()):
        head = part.split(b"\r\n\r\n", 1)[0].lower()
        if b"content-disposition" in head and b"filename=" in head:
            count += 1
    return count


def install_upload_guard(app: FastAPI, services: UiServices, ui_path: str) -> None:
    app.add_middleware(UploadGuard, services=services, ui_path=ui_path)
