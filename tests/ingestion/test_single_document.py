"""One knowledge-base document at a time, as the Admin tab and `/v1/documents` use it: what a record keeps for the
list (title, size), re-indexing one document of a root (`ingest_kb(only=...)`) and deleting one from the index.
Real Firestore records; the search index is the in-memory double of these tests."""

from __future__ import annotations

import pytest

from domain.errors import NotFound
from domain.ingest_records import RecordStore
from ingestion.pipeline import delete_document, ingest_kb
from tests.domain.fixtures import ORG
from tests.ingestion.doubles import write_kb


def test_records_keep_title_and_size_and_files_report_their_stages(services, index, tmp_path):
    kb = write_kb(tmp_path / "kb", {"a.md": "# Returns policy\n\nThirty days.", "b.md": "# Gift cards\n\nNo expiry."})
    events = []
    ingest_kb(services, ORG, kb, namespace="upload", progress=events.append)
    record = RecordStore(services.store, ORG).get("kb", "upload:a.md")
    assert record is not None and record.title == "Returns policy"
    assert record.size_bytes == len(b"# Returns policy\n\nThirty days.")
    # Each file is read (with its chunk count) and written before the run's outcome for it.
    stages = [(e.doc_id, e.outcome) for e in events]
    for doc_id in ("upload:a.md", "upload:b.md"):
        assert stages.index((doc_id, "read")) < stages.index((doc_id, "indexing")) < stages.index((doc_id, "added"))


def test_only_reindexes_that_document_and_nothing_else(services, index, tmp_path):
    kb = write_kb(tmp_path / "kb", {"a.md": "# A\n\nOld text.", "b.md": "# B\n\nOther text."})
    ingest_kb(services, ORG, kb, namespace="upload")
    (kb / "a.md").write_text("# A\n\nNew text about braai tongs.")
    (kb / "b.md").write_text("# B\n\nChanged too, but not asked for.")
    index.reset_counts()
    report = ingest_kb(services, ORG, kb, namespace="upload", only="upload:a.md")
    assert (report.updated, report.unchanged, report.deleted, report.ignored) == (1, 0, 0, 0)
    written = {chunk_id for call in index.upserts for chunk_id in call}
    assert written and written <= {c.chunk_id for c in index.by_doc(ORG)["upload:a.md"]}
    assert "braai tongs" in " ".join(c.text for c in index.by_doc(ORG)["upload:a.md"])
    assert "Other text" in " ".join(c.text for c in index.by_doc(ORG)["upload:b.md"])

    (kb / "a.md").unlink()  # gone from its source: re-indexing it removes it, and only it
    gone = ingest_kb(services, ORG, kb, namespace="upload", only="upload:a.md")
    assert gone.deleted == 1 and "upload:a.md" not in index.by_doc(ORG) and "upload:b.md" in index.by_doc(ORG)


def test_delete_document_removes_its_chunks_then_its_record(services, index, tmp_path):
    kb = write_kb(tmp_path / "kb", {"a.md": "# A\n\nText.", "b.md": "# B\n\nText."})
    ingest_kb(services, ORG, kb, namespace="demo")
    report = delete_document(services, ORG, "kb", "demo:a.md")
    assert report.deleted == 1 and report.chunks_deleted >= 1
    assert set(index.by_doc(ORG)) == {"demo:b.md"}
    records = RecordStore(services.store, ORG)
    assert records.get("kb", "demo:a.md") is None and records.get("kb", "demo:b.md") is not None
    with pytest.raises(NotFound, match="no indexed document"):
        delete_document(services, ORG, "kb", "demo:a.md")
