"""Rate limiting, structured logs with request ids, and the probes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.api.app import create_app
from app.wiring import Services
from assistant.application.ratelimit import TokenBucketLimiter
from assistant.settings import Settings
from tests.api.conftest import Stub, auth


def test_token_bucket_bursts_then_refills() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(per_minute=3, clock=lambda: now[0])
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("k")
    assert 19.9 < wait <= 20.0  # one token every 20 s
    assert limiter.acquire("other") == 0.0  # per key
    now[0] += 20.0
    assert limiter.acquire("k") == 0.0
    assert TokenBucketLimiter.retry_after(0.2) == 1


def test_rate_limit_is_429_with_retry_after_per_key(services: Services) -> None:
    limited = Services(
        Settings(project=services.settings.project, data_dir=services.settings.data_dir, rate_limit_per_minute=3),
        store=services.store,
        minilm=services.minilm,
    )
    with TestClient(create_app(limited)) as client:
        codes = [client.get("/v1/credits", headers=auth("fynbos")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = client.get("/v1/credits", headers=auth("fynbos"))
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 20
        assert r.headers["x-request-id"] == r.json()["error"]["request_id"]
        assert client.get("/v1/credits", headers=auth("fynbos", "admin")).status_code == 200  # another key


def test_access_log_is_json_with_request_id_org_route_status_latency(client: TestClient, json_logs) -> None:
    r = client.get("/v1/credits", headers={**auth("fynbos", "admin"), "X-Request-ID": "trace-logs-0001"})
    assert r.status_code == 200
    access = [line for line in json_logs.lines if line["logger"] == "app.api.access"]
    assert access, json_logs.lines
    line = access[-1]
    assert line["request_id"] == "trace-logs-0001"
    assert line["org_id"] == "fynbos" and line["role"] == "admin"
    assert line["route"] == "/v1/credits" and line["method"] == "GET" and line["status"] == 200
    assert line["latency_ms"] >= 0 and line["level"] == "INFO" and line["ts"]


def test_refusals_are_logged_with_their_request_id(client: TestClient, json_logs) -> None:
    r = client.get("/v1/credits", headers={"Authorization": "Bearer wrong", "X-Request-ID": "trace-logs-0002"})
    assert r.status_code == 401
    line = [entry for entry in json_logs.lines if entry["logger"] == "app.api.access"][-1]
    assert line["request_id"] == "trace-logs-0002" and line["status"] == 401 and line.get("org_id") is None


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readyz_checks_firestore_assistant_and_index(client: TestClient, services: Services, stub: Stub) -> None:
    _ = services.assistant  # built by the chat tests; make sure whatever the order
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["firestore"] == "ok" and r.json()["checks"]["assistant"] == "ok"

    class NotReady:
        def ready(self) -> bool:
            return False

    stub("searcher", NotReady())
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["index"] == "error: not ready"


def test_openapi_documents_routes_roles_and_errors(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    chat = schema["paths"]["/v1/chat"]["post"]
    assert chat["summary"] and "chat" in chat["tags"]
    assert {"401", "402", "403", "422", "429"} <= set(chat["responses"])
    assert "text/event-stream" in chat["responses"]["200"]["content"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    for path, ops in schema["paths"].items():
        for op in ops.values():
            assert op.get("summary"), path
            if path.startswith("/v1/") and op.get("security"):  # PayFast's notification needs no key
                assert "401" in op["responses"] and "403" in op["responses"], path
    assert client.get("/docs").status_code == 200


def test_the_server_process_holds_one_embedding_model(client: TestClient, services: Services) -> None:
    """The offline chat model and search share one MiniLM (two copies once cost ~90 MB and a second load)."""
    import gc
    import warnings

    from sentence_transformers import SentenceTransformer

    assert client.post("/v1/chat", json={"message": "how many BV-TENT-0001 do we have?"}, headers=auth()).is_success
    assert client.get("/v1/search", params={"q": "returns policy"}, headers=auth()).is_success
    with warnings.catch_warnings():  # isinstance() on every object touches torch's deprecated aliases
        warnings.simplefilter("ignore", FutureWarning)
        models = [o for o in gc.get_objects() if isinstance(o, SentenceTransformer)]
    assert models == [services.sentence_model]
