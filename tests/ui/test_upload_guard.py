"""Uploads through the UI's Gradio route need an admin session and stay within count and size limits: httpx
against the real server (FastAPI app + mounted Gradio UI, emulator, demo keys)."""

from __future__ import annotations

import httpx
import pytest

from ui.app import UI_PATH
from ui.session import start_session
from ui.session_token import TokenSigner, load_secret
from ui.upload_guard import MAX_BYTES, MAX_FILES, SESSION_COOKIE

pytestmark = pytest.mark.slow

ADMIN, MERCHANT = "fx_demo_bergveld_admin", "fx_demo_bergveld_merchant"


def upload(server, files: int = 1, size: int = 100, path: str = "/gradio_api/upload", **kwargs) -> httpx.Response:
    parts = [("files", (f"note-{i}.md", b"x" * size, "text/markdown")) for i in range(files)]
    return httpx.post(f"{server.base_url}{UI_PATH}{path}", files=parts, timeout=60, **kwargs)


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def test_nobody_uploads_without_an_admin_session(ui_server):
    for path in ("/gradio_api/upload", "//gradio_api/upload", "/gradio_api/upload/"):
        response = upload(ui_server, path=path)
        assert response.status_code in (401, 404), (path, response.status_code)  # never stored
        assert "note-0.md" not in response.text
    assert upload(ui_server).json()["error"]["code"] == "unauthorized"
    assert upload(ui_server, headers={"Authorization": "Bearer fx_wrong"}).status_code == 401
    assert upload(ui_server, headers={"Authorization": f"Bearer {MERCHANT}"}).status_code == 403
    _, merchant_token = start_session(ui_server.services, MERCHANT)
    assert upload(ui_server, headers=cookie(merchant_token)).status_code == 403


def test_an_admin_session_uploads_and_tampered_or_expired_tokens_do_not(ui_server):
    services = ui_server.services
    principal, token = start_session(services, ADMIN)
    accepted = upload(ui_server, files=2, headers=cookie(token))
    assert accepted.status_code == 200, accepted.text
    assert len(accepted.json()) == 2
    assert upload(ui_server, headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200  # API clients
    assert upload(ui_server, headers=cookie(token[:-4] + "AAAA")).status_code == 401
    expired = TokenSigner(load_secret(services.settings.data_dir), ttl_seconds=-1).issue(principal.key_id)
    assert upload(ui_server, headers=cookie(expired)).status_code == 401


def test_an_admin_upload_has_count_and_size_limits(ui_server):
    _, token = start_session(ui_server.services, ADMIN)
    too_many = upload(ui_server, files=MAX_FILES + 1, headers=cookie(token))
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "too_many_files"
    assert upload(ui_server, files=MAX_FILES, headers=cookie(token)).status_code == 200
    too_big = upload(ui_server, size=MAX_BYTES + 1, headers=cookie(token))
    assert too_big.status_code == 413
