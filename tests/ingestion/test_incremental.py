"""Incremental, idempotent ingestion of a knowledge-base folder against real Firestore records."""

from __future__ import annotations

import shutil

import pytest

from domain.errors import NotFound
from domain.ingest_records import COLLECTION, RecordStore
from ingestion.errors import IngestError
from ingestion.pipeline import ingest_kb
from tests.domain.fixtures import ORG
from tests.ingestion.doubles import write_kb

KB_DOCS = {
    "channels/connect-takealot.md",
    "inventory/stock-explained.md",
    "importing/customs.html",
    "getting-started/glossary.txt",
    "importing/incoterms.pdf",
}


def uri(root, relative):
    """A folder document's id: its source-qualified `file://` id (see ingestion.sources)."""
    return f"file://{root.resolve().as_posix()}/{relative}"


def docs(index, root):
    """The relative paths of the indexed documents of the folder `root`."""
    prefix = uri(root, "")
    return {doc_id.removeprefix(prefix) for doc_id in index.by_doc(ORG) if doc_id.startswith(prefix)}


def ids_of(index, doc_id):
    return {c.chunk_id for c in index.by_doc(ORG).get(doc_id, [])}


def test_first_run_adds_every_file_and_records_it(services, index, kb):
    events = []
    report = ingest_kb(services, ORG, kb, progress=events.append)
    assert (report.added, report.updated, report.unchanged, report.deleted, report.failed) == (5, 0, 0, 0, 0)
    assert report.ignored == 1  # images/logo.png
    assert docs(index, kb) == KB_DOCS and len(index.by_doc(ORG)) == len(KB_DOCS)
    assert report.chunks_written == len(index.chunks) == len(index.upserted)
    outcomes = [e for e in events if e.outcome not in ("read", "indexing")]  # a file's stages come before its outcome
    assert [e.done for e in outcomes] == [1, 2, 3, 4, 5] and events[-1].total == 5
    snaps = list(services.store.col(ORG, COLLECTION).stream())
    assert len(snaps) == 5
    for snap in snaps:
        record = snap.to_dict()
        assert record["content_hash"] and record["updated_at"] and record["pending_chunk_ids"] == []
        assert set(record["chunk_ids"]) == ids_of(index, record["doc_id"])


def test_rerun_on_unchanged_input_writes_nothing(services, index, kb):
    ingest_kb(services, ORG, kb)
    index.reset_counts()
    again = ingest_kb(services, ORG, str(kb))
    assert (again.added, again.updated, again.unchanged, again.skipped, again.deleted) == (0, 0, 5, 5, 0)
    assert index.upserts == [] and index.deletes == [] and again.chunks_written == 0


def test_a_changed_file_replaces_exactly_its_old_chunks(services, index, kb):
    ingest_kb(services, ORG, kb)
    path = "inventory/stock-explained.md"
    name = uri(kb, path)
    old = ids_of(index, name)
    others = {c.chunk_id: c.content_hash for (_, _), c in index.chunks.items() if c.doc_id != name}
    (kb / path).write_text("# Stock explained\n\n## Available\n\nOn hand minus reserved, never negative.\n")
    index.reset_counts()
    report = ingest_kb(services, ORG, kb)
    assert (report.added, report.updated, report.unchanged, report.deleted) == (0, 1, 4, 0)
    new = ids_of(index, name)
    assert set(index.upserted) == new  # only the changed document was written
    assert set(index.deleted) == old - new and report.chunks_deleted == len(old - new) > 0
    assert {c.chunk_id: c.content_hash for (_, _), c in index.chunks.items() if c.doc_id != name} == others
    record = RecordStore(services.store, ORG).get_many([("kb", name)])[name]
    assert set(record.chunk_ids) == new and record.pending_chunk_ids == []


def test_a_vanished_file_is_deleted_only_within_its_root(services, index, kb, tmp_path):
    other = write_kb(tmp_path / "other", {"faq/other.md": "# Other root\n\nStays indexed."})
    ingest_kb(services, ORG, kb)
    ingest_kb(services, ORG, other)
    gone = ids_of(index, uri(kb, "importing/customs.html"))
    (kb / "importing/customs.html").unlink()
    index.reset_counts()
    report = ingest_kb(services, ORG, kb)
    assert (report.deleted, report.unchanged) == (1, 4)
    assert set(index.deleted) == gone and "importing/customs.html" not in docs(index, kb)
    assert docs(index, other) == {"faq/other.md"}  # another root is out of scope
    assert uri(kb, "importing/customs.html") not in RecordStore(services.store, ORG).in_root(f"file://{kb.resolve()}")
    # Removing the whole folder's files deletes its documents but still not the other root's.
    shutil.rmtree(kb)
    kb.mkdir()
    assert ingest_kb(services, ORG, kb).deleted == 4
    assert set(index.by_doc(ORG)) == {uri(other, "faq/other.md")}


def test_a_broken_file_is_reported_and_skipped(services, index, kb):
    (kb / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    (kb / "latin1.txt").write_bytes("Caf\xe9".encode("latin-1"))
    report = ingest_kb(services, ORG, kb)
    assert report.added == 5 and report.failed == 2
    reasons = {f.path.removeprefix(uri(kb, "")): f.reason for f in report.failures}
    assert set(reasons) == {"broken.pdf", "latin1.txt"}
    assert "damaged PDF" in reasons["broken.pdf"] and "not UTF-8" in reasons["latin1.txt"]
    assert all(f.permanent for f in report.failures)  # the file itself is at fault: it would fail again as is
    # A file that breaks after it was indexed keeps its old chunks (and is not taken for deleted).
    before = ids_of(index, uri(kb, "importing/incoterms.pdf"))
    (kb / "importing/incoterms.pdf").write_bytes(b"%PDF-1.4 truncated")
    again = ingest_kb(services, ORG, kb)
    assert again.failed == 3 and again.deleted == 0
    assert ids_of(index, uri(kb, "importing/incoterms.pdf")) == before


def test_an_index_failure_leaves_no_finished_record_and_is_redone(services, index, kb):
    index.fail_upserts = True
    report = ingest_kb(services, ORG, kb)
    assert report.failed == 5 and "search index could not be written" in report.failures[0].reason
    assert not report.failures[0].permanent  # the file is fine: the next run retries it
    records = RecordStore(services.store, ORG).in_root(f"file://{kb.resolve()}")
    assert all(not r.complete for r in records.values())  # never a record claiming chunks the index lacks
    index.fail_upserts = False
    assert ingest_kb(services, ORG, kb).added == 5
    assert docs(index, kb) == KB_DOCS


def test_stale_chunks_left_by_a_failed_delete_are_swept_next_run(services, index, kb):
    ingest_kb(services, ORG, kb)
    name = uri(kb, "inventory/stock-explained.md")
    old = ids_of(index, name)
    (kb / "inventory/stock-explained.md").write_text("# Stock explained\n\nShort now.\n")
    original = index.delete_chunks

    def down(org_id, chunk_ids):
        raise ConnectionError("index unavailable")

    index.delete_chunks = down
    assert ingest_kb(services, ORG, kb).updated == 1
    record = RecordStore(services.store, ORG).get_many([("kb", name)])[name]
    assert set(record.pending_chunk_ids) == old - set(record.chunk_ids)  # remembered for later
    index.delete_chunks = original
    again = ingest_kb(services, ORG, kb)
    assert again.unchanged == 5 and again.chunks_deleted == len(old - set(record.chunk_ids))
    assert ids_of(index, name) == set(record.chunk_ids)


def test_unknown_org_and_missing_folder_are_clear_errors(services, kb, tmp_path):
    with pytest.raises(NotFound, match="organisation 'nope' does not exist"):
        ingest_kb(services, "nope", kb)
    with pytest.raises(IngestError, match="does not exist"):
        ingest_kb(services, ORG, tmp_path / "missing")
    with pytest.raises(IngestError, match="is not a folder"):
        ingest_kb(services, ORG, kb / "getting-started/glossary.txt")
