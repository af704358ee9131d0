"""GET /v1/credits, POST /v1/admin/credits, GET /v1/search, POST /v1/ingest and GET /v1/ingest/{job_id}."""

from __future__ import annotations

import json
import sys
import time
import types
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.config import ApiSettings
from app.wiring import Services
from domain.emulator import free_port
from domain.orgs import Role
from ingestion.models import IngestReport
from retrieval.types import SearchHit
from tests.api.conftest import Stub, auth, make_org


def test_credits_show_balance_quota_usage_and_ledger(client: TestClient, services: Services) -> None:
    for role in ("merchant", "admin"):
        r = client.get("/v1/credits", params={"limit": 5}, headers=auth("bergveld", role))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["org_id"] == "bergveld"
        assert body["balance"] == services.credits.account("bergveld").balance_mc / 1000
        assert body["daily_quota"] == 500
        assert body["remaining_today"] == pytest.approx(body["daily_quota"] - body["used_today"])
        assert 1 <= len(body["ledger"]) <= 5
        assert body["ledger"][-1]["kind"] in ("grant", "reserve", "settle", "refund")


def test_admin_grant_is_idempotent_and_stays_in_its_organisation(client: TestClient, services: Services) -> None:
    org, key = make_org(services, balance=10, role=Role.admin)
    headers = {"Authorization": f"Bearer {key}"}
    body = {"credits": 2.5, "idempotency_key": "topup-2025-001", "note": "test top-up", "org_id": "bergveld"}
    bergveld_before = services.credits.account("bergveld").balance_mc
    first = client.post("/v1/admin/credits", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["balance"] == 12.5
    assert first.json()["entry"]["amount"] == 2.5 and first.json()["entry"]["note"] == "test top-up"
    again = client.post("/v1/admin/credits", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["balance"] == 12.5  # the same key never grants twice
    conflict = client.post("/v1/admin/credits", json={**body, "credits": 3}, headers=headers)
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    # `org_id` in the body is ignored: the organisation is the key's.
    assert services.credits.account("bergveld").balance_mc == bergveld_before
    assert services.credits.ledger_total(org) == services.credits.account(org).balance_mc == 12_500


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"credits": 0, "idempotency_key": "k1"}, "credits"),
        ({"credits": -5, "idempotency_key": "k1"}, "credits"),
        ({"credits": 5}, "idempotency_key"),
        ({"credits": 5, "idempotency_key": "has/slash"}, "idempotency_key"),
        ({"credits": "lots", "idempotency_key": "k1"}, "credits"),
    ],
)
def test_invalid_grant_is_422(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/v1/admin/credits", json=body, headers=auth("bergveld", "admin"))
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith(f"the request is invalid: {field}:")


class FakeSearcher:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def search(
        self, org_id: str, query: str, k: int = 5, doc_type: str | None = None, audiences: tuple = ("public",)
    ) -> list[SearchHit]:
        self.calls.append((org_id, query, k, doc_type, audiences))
        hit = SearchHit(
            chunk_id="c1",
            doc_type="kb",
            source="kb/returns.md",
            title="Returns",
            text="30 days",
            score=0.9,
            heading_path=["Returns", "Window"],
        )
        return [hit][:k]

    def ready(self) -> bool:
        return True


def test_search_is_scoped_to_the_key_organisation(client: TestClient, stub: Stub) -> None:
    fake = FakeSearcher()
    stub("searcher", fake)
    r = client.get(
        "/v1/search",
        params={"q": "returns", "k": 3, "type": "kb", "org_id": "bergveld"},
        headers=auth("fynbos", "support"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["hits"][0]["source"] == "kb/returns.md"
    assert r.json()["hits"][0]["heading_path"] == ["Returns", "Window"]
    assert fake.calls == [("fynbos", "returns", 3, "kb", ("public", "internal"))]  # support reads internal too


def test_support_searches_the_knowledge_base_only(client: TestClient, stub: Stub) -> None:
    fake = FakeSearcher()
    stub("searcher", fake)
    r = client.get("/v1/search", params={"q": "returns"}, headers=auth("fynbos", "support"))
    assert r.status_code == 200 and r.json()["type"] == "kb"
    r = client.get("/v1/search", params={"q": "returns", "type": "order"}, headers=auth("fynbos", "support"))
    assert r.status_code == 403 and "knowledge base only" in r.json()["error"]["message"]
    r = client.get("/v1/search", params={"q": "returns", "type": "order"}, headers=auth("fynbos", "merchant"))
    assert r.status_code == 200
    assert fake.calls == [
        ("fynbos", "returns", 5, "kb", ("public", "internal")),  # support reads internal articles too
        ("fynbos", "returns", 5, "order", ("public",)),
    ]


def test_blank_search_is_422(client: TestClient, stub: Stub) -> None:
    stub("searcher", FakeSearcher())
    assert client.get("/v1/search", params={"q": "   "}, headers=auth()).status_code == 422


@pytest.fixture
def fake_ingestion(monkeypatch) -> list[tuple]:
    """Stands in for `ingestion.pipeline` so these tests check the API side only (the pipeline has its own)."""
    calls: list[tuple] = []
    module = types.ModuleType("ingestion.pipeline")

    def ingest_kb(services, org_id, folder, progress=None, namespace=None):
        assert namespace == "upload"  # uploads never share ids with a folder's documents
        calls.append((org_id, Path(folder), sorted(p.name for p in Path(folder).iterdir())))
        return IngestReport(source=str(folder), org_id=org_id, added=1)

    module.ingest_kb = ingest_kb  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ingestion.pipeline", module)
    return calls


def finished(client: TestClient, job_id: str, headers: dict[str, str], seconds: float = 120) -> dict:
    """Poll the job until it is done or failed; every state seen is checked against the schema's statuses."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = client.get(f"/v1/ingest/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("done", "failed"):
            return r.json()
        assert r.json()["status"] in ("queued", "running")
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def test_ingest_stores_files_per_organisation_and_runs_a_job(
    client: TestClient, services: Services, fake_ingestion: list
) -> None:
    files = [
        ("files", ("returns.md", b"# Returns\n30 days.", "text/markdown")),
        ("files", ("../../etc/evil name.txt", b"plain", "text/plain")),
    ]
    r = client.post("/v1/ingest", files=files, headers=auth("fynbos", "admin"))
    assert r.status_code == 202, r.text
    assert [f["name"] for f in r.json()["files"]] == ["returns.md", "evil_name.txt"]
    assert r.json()["status"] in ("queued", "running", "done") and r.json()["org_id"] == "fynbos"
    assert r.headers["location"] == f"/v1/ingest/{r.json()['job_id']}"
    job = finished(client, r.json()["job_id"], auth("fynbos", "admin"))
    assert job["status"] == "done", job
    assert job["report"]["org_id"] == "fynbos" and job["report"]["added"] == 1
    assert job["report"]["source"] == "upload:"  # the upload root by its name, not the server's folder
    org, folder, names = fake_ingestion[0]
    assert org == "fynbos" and folder == services.settings.data_dir / "uploads" / "fynbos"
    assert {"returns.md", "evil_name.txt"} <= set(names)
    assert (folder / "returns.md").read_bytes() == b"# Returns\n30 days."


def test_ingest_refuses_other_file_types(client: TestClient, fake_ingestion: list) -> None:
    r = client.post("/v1/ingest", files=[("files", ("tool.exe", b"MZ"))], headers=auth("fynbos", "admin"))
    assert r.status_code == 422 and ".md" in r.json()["error"]["message"]
    assert fake_ingestion == []
    r = client.post("/v1/ingest", data={"x": "1"}, headers=auth("fynbos", "admin"))
    assert r.status_code == 422 and "files" in r.json()["error"]["message"]


def test_ingest_over_the_upload_limit_is_413(client: TestClient, fake_ingestion: list) -> None:
    big = b"a" * (300 * 1024)  # the test app allows 256 KB
    r = client.post("/v1/ingest", files=[("files", ("big.txt", big))], headers=auth("fynbos", "admin"))
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert fake_ingestion == []


def test_upload_limit_is_configurable(services: Services, fake_ingestion: list) -> None:
    with TestClient(create_app(services, ApiSettings(max_upload_bytes=2048))) as small:
        r = small.post("/v1/ingest", files=[("files", ("a.txt", b"a" * 4096))], headers=auth("fynbos", "admin"))
        assert r.status_code == 413
        r = small.post("/v1/ingest", files=[("files", ("a.txt", b"a" * 100))], headers=auth("fynbos", "admin"))
        assert r.status_code == 202, r.text
        assert finished(small, r.json()["job_id"], auth("fynbos", "admin"))["status"] == "done"


def test_uploaded_article_becomes_searchable(client: TestClient, services: Services) -> None:
    """The real pipeline and index: what an admin uploads, the organisation's support staff can find."""
    article = b"# Braai grid care\n\n## Cleaning\n\nSoak the potjie grid in warm soapy water overnight, then oil it.\n"
    r = client.post("/v1/ingest", files=[("files", ("braai-care.md", article))], headers=auth("bergveld", "admin"))
    assert r.status_code == 202, r.text
    job = finished(client, r.json()["job_id"], auth("bergveld", "admin"))
    assert job["status"] == "done" and job["report"]["org_id"] == "bergveld"
    [file] = job["files"]
    assert (file["name"], file["outcome"], file["reason"]) == ("braai-care.md", "added", None)
    assert file["chunks_done"] == file["chunks_total"] >= 1  # per-file progress, complete
    assert job["progress"]["done"] == job["progress"]["total"] >= 1 and job["progress"]["current"] is None
    found = client.get(
        "/v1/search", params={"q": "how to clean the potjie grid", "type": "kb"}, headers=auth("bergveld", "support")
    )
    assert found.status_code == 200, found.text
    assert any("braai-care.md" in hit["source"] for hit in found.json()["hits"])
    other = client.get(
        "/v1/search", params={"q": "how to clean the potjie grid", "type": "kb"}, headers=auth("fynbos", "support")
    )
    assert all("braai-care.md" not in hit["source"] for hit in other.json()["hits"])


def test_a_job_is_seen_only_by_its_organisations_admins(client: TestClient, services: Services) -> None:
    _org, key = make_org(services, role=Role.admin)
    admin = {"Authorization": f"Bearer {key}"}
    r = client.post("/v1/ingest", files=[("files", ("note.txt", b"Gift cards never expire."))], headers=admin)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert finished(client, job_id, admin)["status"] == "done"
    other = client.get(f"/v1/ingest/{job_id}", headers=auth("bergveld", "admin"))
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert client.get(f"/v1/ingest/{job_id}", headers=auth("bergveld", "merchant")).status_code == 403
    assert client.get("/v1/ingest/not-a-job", headers=admin).status_code == 422
    assert client.get(f"/v1/ingest/{'0' * 32}", headers=admin).status_code == 404


def test_a_failing_file_is_reported_once_by_its_own_upload(client: TestClient, services: Services) -> None:
    """The real pipeline: a file that cannot be parsed is reported by the job of its upload, with a plain reason
    and its upload name, then removed from the uploads, so the next upload does not report it again."""
    org, key = make_org(services, role=Role.admin)
    admin = {"Authorization": f"Bearer {key}"}
    files = [("files", ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog")), ("files", ("ok.md", b"# Ok\n\nFine."))]
    first = finished(client, client.post("/v1/ingest", files=files, headers=admin).json()["job_id"], admin)
    assert first["status"] == "done" and first["report"]["failed"] == 1 and first["report"]["added"] == 1
    [failure] = first["report"]["failures"]
    assert failure["path"] == "upload:broken.pdf" and failure["reason"].startswith("damaged PDF")
    assert {f["name"]: f["outcome"] for f in first["files"]} == {"broken.pdf": "failed", "ok.md": "added"}
    assert next(f for f in first["files"] if f["name"] == "broken.pdf")["reason"] == failure["reason"]
    uploads = Path(services.settings.data_dir) / "uploads" / org
    assert sorted(p.name for p in uploads.iterdir()) == ["ok.md"]
    second = client.post("/v1/ingest", files=[("files", ("more.md", b"# More\n\nText."))], headers=admin)
    again = finished(client, second.json()["job_id"], admin)
    assert again["report"]["failed"] == 0 and again["report"]["failures"] == []
    assert (again["report"]["added"], again["report"]["unchanged"]) == (1, 1)
    # No response names a folder of the server.
    for body in (first, again, second.json()):
        assert str(services.settings.data_dir) not in json.dumps(body) and "/uploads/" not in json.dumps(body)


def test_a_file_over_the_text_limit_is_reported_by_name(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion import pipeline

    monkeypatch.setattr(pipeline, "MAX_TEXT_CHARS", 1_000)
    _org, key = make_org(services, role=Role.admin)
    admin = {"Authorization": f"Bearer {key}"}
    r = client.post("/v1/ingest", files=[("files", ("huge.txt", b"Nothing to see here.\n" * 100))], headers=admin)
    job = finished(client, r.json()["job_id"], admin)
    assert job["files"][0]["outcome"] == "failed" and "over the limit of 1,000 per file" in job["files"][0]["reason"]
    assert job["report"]["failures"][0]["path"] == "upload:huge.txt"


def test_a_job_whose_process_died_is_failed_when_read(client: TestClient, services: Services) -> None:
    """A job left `running` with no heartbeat for longer than STALE_AFTER (its process was killed) reads as failed."""
    from assistant.application.job_records import IngestJobs
    from domain.ingest_jobs import STALE_AFTER, JobStatus

    org, key = make_org(services, role=Role.admin)
    jobs = IngestJobs(services.store)
    job = jobs.create(org, ["a.md"])
    job.status = JobStatus.running
    jobs.save(job)
    jobs._ref(org, job.id).update({"updated_at": job.updated_at - STALE_AFTER - timedelta(seconds=1)})
    r = client.get(f"/v1/ingest/{job.id}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["status"] == "failed" and "upload the files again" in r.json()["error"]
    assert jobs.get(org, job.id).status == JobStatus.failed


def test_uploads_go_to_the_kb_bucket_when_one_is_configured(services: Services) -> None:
    """Production keeps uploads in Cloud Storage (kb/ORG/, the prefix the ingestion job reads); here the official
    client talks to gcp-storage-emulator (PyPI), a real HTTP server on a free port."""
    from gcp_storage_emulator.server import create_server
    from google.cloud import storage

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket="fx-kb")
    server.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
            settings = services.settings.model_copy(update={"kb_bucket": "fx-kb"})
            bucketed = Services(settings, store=services.store, minilm=services.minilm)
            with TestClient(create_app(bucketed)) as api:
                article = b"# Gazebo pegs\n\nUse the long steel pegs in sandy soil at the coast.\n"
                files = [("files", ("pegs.md", article)), ("files", ("scan.pdf", b"%PDF-1.4 truncated"))]
                r = api.post("/v1/ingest", files=files, headers=auth("bergveld", "admin"))
                assert r.status_code == 202, r.text
                job = finished(api, r.json()["job_id"], auth("bergveld", "admin"))
            assert job["report"]["source"] == "gs://fx-kb/kb/bergveld/"
            assert job["report"]["added"] == 1
            assert {f["name"]: f["outcome"] for f in job["files"]} == {"pegs.md": "added", "scan.pdf": "failed"}
            assert not storage.Client(project="test").bucket("fx-kb").blob("kb/bergveld/scan.pdf").exists()
            blob = storage.Client(project="test").bucket("fx-kb").blob("kb/bergveld/pegs.md")
            assert blob.download_as_bytes() == article
            hits = bucketed.searcher.search("bergveld", "steel pegs for sandy soil", k=3, doc_type="kb")
            assert any(hit.source.endswith("pegs.md") for hit in hits)
    finally:
        server.stop()
