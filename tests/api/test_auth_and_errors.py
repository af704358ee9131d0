"""Auth, roles and the error contract: every /v1 route answers 401/403 with the one error body, every response
carries a request id, and invalid or oversized input says what to fix."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.wiring import Services
from tests.api.conftest import Stub, auth

# route -> (method, a valid request body or query, roles allowed): the README's role matrix, written out again on
# purpose so that a change to assistant.application.policy has to be made twice.
ROUTES = {
    "/v1/chat": ("post", {"json": {"message": "hello"}}, {"merchant", "support"}),
    "/v1/chat/confirm": ("post", {"json": {"confirmation_id": "nope-123", "approve": False}}, {"merchant"}),
    "/v1/search": ("get", {"params": {"q": "tent"}}, {"merchant", "support", "admin"}),
    "/v1/credits": ("get", {}, {"merchant", "admin"}),
    "/v1/credits/usage": ("get", {}, {"merchant", "admin"}),
    "/v1/admin/credits": ("post", {"json": {"credits": 1, "idempotency_key": "k-role-test"}}, {"admin"}),
    "/v1/ingest": ("post", {"files": [("files", ("a.md", b"# A\n"))]}, {"admin"}),
    f"/v1/ingest/{'0' * 32}": ("get", {}, {"admin"}),
}


def _call(client: TestClient, path: str, headers: dict[str, str] | None = None):
    method, kwargs, _ = ROUTES[path]
    return getattr(client, method)(path, headers=headers or {}, **kwargs)


def _assert_error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == r.headers["x-request-id"]
    return error


@pytest.mark.parametrize("path", list(ROUTES))
def test_missing_key_is_401_with_a_bearer_challenge(client: TestClient, path: str) -> None:
    r = _call(client, path)
    error = _assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in error["message"]


@pytest.mark.parametrize("path", list(ROUTES))
@pytest.mark.parametrize(
    "header", ["Bearer fx_not_a_real_key", "Basic Zm9vOmJhcg==", "Bearer ", "fx_demo_bergveld_admin"]
)
def test_wrong_key_is_401(client: TestClient, path: str, header: str) -> None:
    r = _call(client, path, {"Authorization": header})
    _assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", list(ROUTES))
@pytest.mark.parametrize("role", ["merchant", "support", "admin"])
def test_role_matrix(client: TestClient, stub: Stub, path: str, role: str) -> None:
    # The handlers' own work is not what this test is about: stub what would be slow or change data.
    stub("searcher", _NoSearch())
    _, _, allowed = ROUTES[path]
    r = _call(client, path, auth("fynbos", role))
    if role in allowed:
        assert r.status_code not in (401, 403), r.text
    else:
        error = _assert_error(r, 403, "forbidden")
        assert role in error["message"]


class _NoSearch:
    def search(self, org_id, query, k=5, doc_type=None, audiences=("public",), per_document=1):
        return []


def test_request_id_is_accepted_when_well_formed_and_replaced_otherwise(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "my-trace-0001"}).headers["x-request-id"] == "my-trace-0001"
    for bad in ("short", "has spaces in it", "slash/not/allowed/here", "x" * 300):
        rid = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert rid != bad and rid.startswith("req_")
    a, b = client.get("/healthz"), client.get("/healthz")
    assert a.headers["x-request-id"] != b.headers["x-request-id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/healthz"), ("get", "/readyz"), ("get", "/v1/credits"), ("get", "/nope"), ("get", "/openapi.json")],
)
def test_every_response_carries_a_request_id(client: TestClient, method: str, path: str) -> None:
    assert getattr(client, method)(path).headers["x-request-id"]


def test_unknown_route_and_wrong_method_use_the_error_body(client: TestClient) -> None:
    _assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    _assert_error(client.get("/v1/chat", headers=auth()), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"json": {}}, "message: Field required"),
        ({"json": {"message": ""}}, "message: String should have at least 1 character"),
        ({"json": {"message": "hi", "conversation_id": "bad id!"}}, "conversation_id: String should match pattern"),
        ({"content": b'{"message": "hi"', "headers": {"Content-Type": "application/json"}}, "body: not valid JSON"),
        ({"content": b"", "headers": {"Content-Type": "application/json"}}, "body: a JSON body is required"),
        ({"json": {"message": "x" * 5000}}, "4000"),
    ],
)
def test_invalid_chat_input_is_422_and_says_what_to_fix(client: TestClient, kwargs: dict, expected: str) -> None:
    headers = {**auth(), **kwargs.pop("headers", {})}
    r = client.post("/v1/chat", headers=headers, **kwargs)
    error = _assert_error(r, 422, r.json()["error"]["code"])
    assert error["code"] in ("validation_error", "invalid_input")
    assert expected in error["message"], error["message"]


def test_invalid_query_parameters_are_422(client: TestClient) -> None:
    error = _assert_error(client.get("/v1/search", params={"q": "x", "k": 0}, headers=auth()), 422, "validation_error")
    assert "k (query)" in error["message"]
    assert error["details"][0]["field"] == "k (query)"
    error = _assert_error(
        client.get("/v1/search", params={"q": "x", "type": "pdf"}, headers=auth()), 422, "validation_error"
    )
    assert "type (query)" in error["message"]
    _assert_error(client.get("/v1/credits", params={"limit": 1000}, headers=auth()), 422, "validation_error")


def test_json_body_over_the_limit_is_413(client: TestClient) -> None:
    big = {"message": "x" * (70 * 1024)}
    error = _assert_error(client.post("/v1/chat", json=big, headers=auth()), 413, "payload_too_large")
    assert "65536 bytes" in error["message"]


def test_body_over_the_limit_without_content_length_is_413(client: TestClient) -> None:
    def chunks():
        for _ in range(80):
            yield b"x" * 1024

    r = client.post("/v1/chat", content=chunks(), headers={**auth(), "Content-Type": "application/json"})
    _assert_error(r, 413, "payload_too_large")


def test_unexpected_exception_is_a_500_without_internals(
    client: TestClient, services: Services, monkeypatch, json_logs
) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(services.assistant, "chat", boom)
    r = client.post("/v1/chat", json={"message": "hello"}, headers=auth())
    error = _assert_error(r, 500, "internal")
    assert "hunter2" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    logged = [line for line in json_logs.lines if line.get("traceback")]
    assert logged and "hunter2" in logged[0]["traceback"]
    assert logged[0]["request_id"] == error["request_id"] and logged[0]["org_id"] == "bergveld"
