"""GET /v1/documents, DELETE /v1/documents/{doc_id} and POST /v1/documents/{doc_id}/reindex: the organisation's
indexed knowledge-base documents, for its admins only. The real pipeline, index (MiniLM + hnswlib + BM25) and
Firestore emulator; each test works in an organisation of its own."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from app.wiring import Services
from assistant.application.uploads import upload_root
from domain.orgs import Role
from ingestion.pipeline import ingest_kb
from tests.api.conftest import auth, make_org


def admin_of(services: Services) -> tuple[str, dict[str, str]]:
    org, key = make_org(services, role=Role.admin)
    return org, {"Authorization": f"Bearer {key}"}


def upload(client: TestClient, headers: dict[str, str], name: str, text: str) -> dict:
    r = client.post("/v1/ingest", files=[("files", (name, text.encode()))], headers=headers)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/v1/ingest/{r.json()['job_id']}", headers=headers).json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done" and job["report"]["failed"] == 0, job
            return job
        time.sleep(0.1)
    raise AssertionError("the upload was not indexed in 120 s")


def documents(client: TestClient, headers: dict[str, str]) -> dict[str, dict]:
    r = client.get("/v1/documents", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["count"] == len(r.json()["documents"])
    return {d["doc_id"]: d for d in r.json()["documents"]}


def found(client: TestClient, headers: dict[str, str], query: str) -> set[str]:
    r = client.get("/v1/search", params={"q": query, "type": "kb", "k": 10}, headers=headers)
    assert r.status_code == 200, r.text
    return {hit["source"] for hit in r.json()["hits"]}


def test_an_upload_is_listed_then_deleted_from_the_index_and_the_list(client: TestClient, services: Services) -> None:
    org, admin = admin_of(services)
    text = "# Gazebo pegs\n\nAnchor every gazebo with twelve galvanised pegs when the berg wind blows.\n"
    upload(client, admin, "gazebo-pegs.md", text)
    doc = documents(client, admin)["upload:gazebo-pegs.md"]
    assert doc["source"] == "upload" and doc["name"] == "gazebo-pegs.md" and doc["title"] == "Gazebo pegs"
    assert doc["status"] == "indexed" and doc["size_bytes"] == len(text.encode()) and doc["chunks"] >= 1
    assert doc["last_indexed"]
    assert "upload:gazebo-pegs.md" in found(client, admin, "galvanised gazebo pegs berg wind")

    r = client.delete("/v1/documents/upload:gazebo-pegs.md", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["document"]["doc_id"] == "upload:gazebo-pegs.md"
    assert "uploaded file was removed" in r.json()["message"]
    assert "upload:gazebo-pegs.md" not in documents(client, admin)
    assert "upload:gazebo-pegs.md" not in found(client, admin, "galvanised gazebo pegs berg wind")
    assert not (Path(upload_root(services.settings, org)) / "gazebo-pegs.md").exists()  # a later upload keeps it out
    again = client.delete("/v1/documents/upload:gazebo-pegs.md", headers=admin)
    assert again.status_code == 404 and "GET /v1/documents lists them" in again.json()["error"]["message"]


def test_merchants_and_support_staff_are_refused(client: TestClient) -> None:
    for role in ("merchant", "support"):
        headers = auth("bergveld", role)
        for method, url in (
            ("GET", "/v1/documents"),
            ("DELETE", "/v1/documents/demo:channels/connect-takealot.md"),
            ("POST", "/v1/documents/demo:channels/connect-takealot.md/reindex"),
        ):
            r = client.request(method, url, headers=headers)
            assert r.status_code == 403, (role, url, r.text)
            assert "with the role admin" in r.json()["error"]["message"]


def test_another_organisations_document_is_not_found(client: TestClient, services: Services) -> None:
    _org, admin = admin_of(services)
    _other, other_admin = admin_of(services)
    upload(client, admin, "layby-terms.md", "# Lay-by terms\n\nA lay-by is held for sixty days with a deposit.\n")
    for method, url in (
        ("DELETE", "/v1/documents/upload:layby-terms.md"),
        ("POST", "/v1/documents/upload:layby-terms.md/reindex"),
    ):
        r = client.request(method, url, headers=other_admin)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    assert documents(client, other_admin) == {}
    assert "upload:layby-terms.md" in documents(client, admin)  # untouched in its own organisation
    assert "upload:layby-terms.md" in found(client, admin, "lay-by deposit sixty days")


def test_reindex_takes_in_a_changed_file_of_a_folder(client: TestClient, services: Services, tmp_path: Path) -> None:
    """A folder ingested with `fluxori ingest kb` (ids `file:///...`): its file changes, one re-index takes it in."""
    org, admin = admin_of(services)
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "courier.md").write_text("# Courier cut-off\n\nOrders placed before 14:00 leave with The Courier Guy.\n")
    (folder / "other.md").write_text("# Other\n\nNot asked for.\n")
    ingest_kb(services, org, folder)
    doc_id = f"file://{folder.resolve().as_posix()}/courier.md"
    listed = documents(client, admin)
    assert listed[doc_id]["source"] == "folder" and listed[doc_id]["name"] == "courier.md"
    unchanged = client.post(f"/v1/documents/{doc_id}/reindex", headers=admin)
    assert unchanged.status_code == 200 and unchanged.json()["outcome"] == "unchanged", unchanged.text

    (folder / "courier.md").write_text("# Courier cut-off\n\nOrders placed before 11:30 leave with Pargo lockers.\n")
    r = client.post(f"/v1/documents/{doc_id}/reindex", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "updated" and r.json()["document"]["doc_id"] == doc_id
    assert r.json()["document"]["last_indexed"] > listed[doc_id]["last_indexed"]
    hits = client.get("/v1/search", params={"q": "Pargo lockers cut-off", "type": "kb"}, headers=admin).json()["hits"]
    assert hits[0]["source"] == doc_id
    assert "Pargo" in hits[0]["text"] and "Courier Guy" not in hits[0]["text"]

    (folder / "courier.md").unlink()
    gone = client.post(f"/v1/documents/{doc_id}/reindex", headers=admin)
    assert gone.json()["outcome"] == "deleted" and gone.json()["document"] is None
    assert set(documents(client, admin)) == {f"file://{folder.resolve().as_posix()}/other.md"}


def test_unknown_document_ids_say_what_to_send(client: TestClient, services: Services) -> None:
    _org, admin = admin_of(services)
    r = client.post("/v1/documents/upload:nothing-here.md/reindex", headers=admin)
    assert r.status_code == 404 and "upload:nothing-here.md" in r.json()["error"]["message"]
    assert client.get("/v1/documents", headers={"Authorization": "Bearer nope"}).status_code == 401
