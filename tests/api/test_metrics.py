"""GET /metrics after real work: a chat with a tool, a proposed change rejected, an ingestion, an API error.
The figures are read back in Prometheus' text format with prometheus-client's own parser; the names and labels are
the contract the SLOs and the dashboard in terraform/ read."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.api.app import create_app
from app.wiring import Services
from benchmarks.fake_gemini import serve_in_thread
from domain.orgs import Role
from tests.api.conftest import auth, make_org
from tests.api.test_credits_search_ingest import finished

ADMIN = auth("bergveld", "admin")


def scrape(client: TestClient) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample by name, keyed by its sorted labels."""
    answer = client.get("/metrics", headers=ADMIN)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(v for key, v in samples.get(name, {}).items() if set(labels.items()) <= set(key))


def test_metrics_after_a_chat_a_confirmation_and_an_ingest(client: TestClient, services: Services) -> None:
    before = scrape(client)
    chat = client.post("/v1/chat", json={"message": "how many BV-TENT-0001 do we hold in Cape Town?"}, headers=auth())
    assert chat.status_code == 200
    proposed = client.post(
        "/v1/chat", json={"message": "move 2 BV-TENT-0001 from Johannesburg to Durban"}, headers=auth()
    )
    pending = proposed.json()["pending_confirmation"]
    decided = client.post("/v1/chat/confirm", json={"confirmation_id": pending["id"], "approve": False}, headers=auth())
    assert decided.status_code == 200
    nothing = client.post(
        "/v1/chat",
        json={"message": "how do I connect my Bol.com store to Fluxori?"},
        headers=auth("bergveld", "support"),
    )
    assert nothing.status_code == 200
    _, admin_key = make_org(services, role=Role.admin)  # an organisation of its own: nobody else reads its KB
    own = {"Authorization": f"Bearer {admin_key}"}
    files = [("files", ("metrics-note.md", b"# Metrics note\n\nA short article for the metrics test.\n"))]
    job = client.post("/v1/ingest", files=files, headers=own).json()
    assert finished(client, job["job_id"], own)["status"] == "done"
    assert client.get("/v1/credits", headers={"Authorization": "Bearer fx_unknown"}).status_code == 401
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    model = services.settings.llm_model
    assert grew("fluxori_http_requests_total", route="/v1/chat", method="POST", status_class="2xx") == 3
    assert grew("fluxori_http_requests_total", route="/v1/credits", method="GET", status_class="4xx") == 1
    assert grew("fluxori_http_request_duration_seconds_count", route="/v1/chat", streaming="false") == 3
    assert grew("fluxori_chat_turn_duration_seconds_count", model=model) == 4  # three messages and the decision
    assert grew("fluxori_chat_time_to_first_token_seconds_count", model=model) == 4
    assert grew("fluxori_model_tokens_total", model=model, direction="input") > 0
    assert grew("fluxori_model_tokens_total", model=model, direction="output") > 0
    assert grew("fluxori_credits_used_total", model=model) > 0
    assert grew("fluxori_tool_calls_total", tool="stock_level", outcome="ok") >= 1
    assert grew("fluxori_confirmations_total", outcome="rejected") == 1
    assert grew("fluxori_not_found_answers_total", surface="kb") == 1
    assert grew("fluxori_ingest_jobs_total", outcome="done") == 1
    assert grew("fluxori_ingest_job_duration_seconds_count") == 1
    assert after["fluxori_open_reservations"][()] >= 0
    # No organisation in any label, ever (cardinality; per-organisation figures are the billing export's).
    assert not any("org" in key for samples in after.values() for labels in samples for key, _ in labels)


def test_metrics_need_an_admin_key_except_from_loopback(client: TestClient, services: Services) -> None:
    assert client.get("/metrics").status_code == 401  # the test client's address is not loopback
    assert client.get("/metrics", headers=auth()).status_code == 403
    assert client.get("/metrics", headers=ADMIN).status_code == 200
    server, url = serve_in_thread(create_app(services))
    try:
        local = httpx.get(f"{url}/metrics", timeout=10)
        assert local.status_code == 200 and "fluxori_http_requests_total" in local.text
        proxied = httpx.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
        assert proxied.status_code == 401  # came through a proxy: not the scraper beside the service
    finally:
        server.should_exit = True
