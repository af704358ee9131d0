"""The Cloud Storage source: the official google-cloud-storage client against gcp-storage-emulator (PyPI), a real
HTTP server on a free local port, pointed at with STORAGE_EMULATOR_HOST."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from domain.emulator import free_port
from ingestion.errors import IngestError
from ingestion.pipeline import ingest_kb
from ingestion.sources import parse_gs_uri
from tests.domain.fixtures import ORG
from tests.ingestion.doubles import KB_FILES

BUCKET = "fluxori-kb-test"


@pytest.fixture(scope="module")
def gcs() -> Iterator[object]:
    from gcp_storage_emulator.server import create_server
    from google.cloud import storage

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    previous = os.environ.get("STORAGE_EMULATOR_HOST")
    os.environ["STORAGE_EMULATOR_HOST"] = f"http://127.0.0.1:{port}"
    try:
        yield storage.Client()
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("STORAGE_EMULATOR_HOST", None)
        else:
            os.environ["STORAGE_EMULATOR_HOST"] = previous


def upload(client, prefix: str, files: dict[str, str | bytes]) -> None:
    bucket = client.bucket(BUCKET)
    for name, content in files.items():
        bucket.blob(f"{prefix}/{name}").upload_from_string(content)


def test_parse_gs_uri():
    assert parse_gs_uri("gs://b/kb") == ("b", "kb/")
    assert parse_gs_uri("gs://b/kb/") == ("b", "kb/")
    assert parse_gs_uri("gs://b") == ("b", "")
    with pytest.raises(IngestError):
        parse_gs_uri("gs:///kb")


def test_gcs_prefix_is_ingested_incrementally_and_scoped(gcs, services, index):
    files = {k: v for k, v in KB_FILES.items() if k != "images/logo.png"}
    upload(gcs, "help", files)
    upload(gcs, "help2", {"other.md": "# Not under help/\n\nA sibling prefix must stay out of scope."})
    upload(gcs, "help", {"broken.pdf": b"%PDF-1.4 broken"})
    report = ingest_kb(services, ORG, f"gs://{BUCKET}/help")
    assert (report.added, report.failed) == (5, 1)
    assert report.failures[0].path == f"gs://{BUCKET}/help/broken.pdf"
    docs = index.by_doc(ORG)
    assert set(docs) == {f"gs://{BUCKET}/help/{name}" for name in files}
    chunk = docs[f"gs://{BUCKET}/help/importing/customs.html"][0]
    assert chunk.source == f"gs://{BUCKET}/help/importing/customs.html"
    assert chunk.title == "Customs duty and import VAT"

    ingest_kb(services, ORG, f"gs://{BUCKET}/help2")
    index.reset_counts()
    assert ingest_kb(services, ORG, f"gs://{BUCKET}/help/").unchanged == 5
    assert index.upserts == []

    gcs.bucket(BUCKET).blob("help/getting-started/glossary.txt").delete()
    upload(gcs, "help", {"channels/connect-takealot.md": "# Connecting Takealot\n\nNew, shorter article."})
    report = ingest_kb(services, ORG, f"gs://{BUCKET}/help")
    assert (report.updated, report.deleted, report.unchanged) == (1, 1, 3)
    assert f"gs://{BUCKET}/help/getting-started/glossary.txt" not in index.by_doc(ORG)
    assert f"gs://{BUCKET}/help2/other.md" in index.by_doc(ORG)


def test_missing_bucket_is_a_clear_error(gcs, services):
    with pytest.raises(IngestError, match="bucket 'no-such-bucket' does not exist"):
        ingest_kb(services, ORG, "gs://no-such-bucket/kb")
