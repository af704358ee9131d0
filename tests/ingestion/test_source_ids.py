"""Source-qualified document ids: an upload, a folder and the demo help centre never replace or delete each
other's documents, and records from before ids named their source are migrated (real Firestore records)."""

from __future__ import annotations

import pytest

from domain.ingest_records import COLLECTION, IngestRecord, RecordStore
from ingestion.chunking import chunk_document
from ingestion.loaders import load_document
from ingestion.migrations import qualify_legacy_ids
from ingestion.pipeline import fingerprint, ingest_kb
from tests.domain.fixtures import ORG
from tests.ingestion.doubles import write_kb

FAQ = "# Returns FAQ\n\nReturns are accepted within 30 days at the Johannesburg warehouse.\n"
UPLOADED_FAQ = "# Returns FAQ (uploaded)\n\nUploaded version: returns go to Cape Town.\n"


def folder_id(root, relative):
    return f"file://{root.resolve().as_posix()}/{relative}"


def texts(index, doc_id):
    return [c.text for c in index.by_doc(ORG).get(doc_id, [])]


def test_an_upload_named_like_a_folder_document_replaces_nothing(services, index, tmp_path):
    folder = write_kb(tmp_path / "help", {"faq.md": FAQ})
    uploads = write_kb(tmp_path / "uploads", {"faq.md": UPLOADED_FAQ})
    ingest_kb(services, ORG, folder)
    folder_chunks = {c.chunk_id for c in index.by_doc(ORG)[folder_id(folder, "faq.md")]}

    report = ingest_kb(services, ORG, uploads, namespace="upload")
    assert (report.added, report.updated, report.deleted) == (1, 0, 0)
    assert set(index.by_doc(ORG)) == {folder_id(folder, "faq.md"), "upload:faq.md"}
    assert "Johannesburg" in texts(index, folder_id(folder, "faq.md"))[0]
    assert "Cape Town" in texts(index, "upload:faq.md")[0]
    assert index.deleted == []

    # The next folder sync finds its document as it left it: nothing to put back.
    index.reset_counts()
    again = ingest_kb(services, ORG, folder)
    assert (again.unchanged, again.added, again.updated, again.deleted) == (1, 0, 0, 0)
    assert index.upserts == [] and index.deleted == []

    # Emptying the uploads deletes the upload only.
    (uploads / "faq.md").unlink()
    emptied = ingest_kb(services, ORG, uploads, namespace="upload")
    assert emptied.deleted == 1
    assert set(index.by_doc(ORG)) == {folder_id(folder, "faq.md")}
    assert {c.chunk_id for c in index.by_doc(ORG)[folder_id(folder, "faq.md")]} == folder_chunks


def test_two_folders_with_the_same_relative_paths_are_two_documents(services, index, tmp_path):
    first = write_kb(tmp_path / "a", {"guide/setup.md": FAQ})
    second = write_kb(tmp_path / "b", {"guide/setup.md": UPLOADED_FAQ})
    ingest_kb(services, ORG, first)
    ingest_kb(services, ORG, second)
    (second / "guide/setup.md").unlink()
    assert ingest_kb(services, ORG, second).deleted == 1
    assert set(index.by_doc(ORG)) == {folder_id(first, "guide/setup.md")}


def test_a_namespaced_folder_keeps_its_ids_when_it_moves(services, index, tmp_path):
    old = write_kb(tmp_path / "old", {"faq.md": FAQ})
    ingest_kb(services, ORG, old, namespace="demo")
    new = write_kb(tmp_path / "new", {"faq.md": FAQ})
    index.reset_counts()
    report = ingest_kb(services, ORG, new, namespace="demo")
    assert report.unchanged == 1 and index.upserts == [] and set(index.by_doc(ORG)) == {"demo:faq.md"}


def test_a_bad_namespace_is_refused(services, tmp_path):
    from ingestion.errors import IngestError

    with pytest.raises(IngestError, match="namespace"):
        ingest_kb(services, ORG, write_kb(tmp_path / "kb", {"faq.md": FAQ}), namespace="Up/Load")


# Migration of records written before ids named their source -----------------------------------------------------
def write_legacy(services, index, root, files):
    """What the previous version left: records and chunks keyed by the bare relative path."""
    records = []
    for relative, text in files.items():
        data = text.encode()
        chunks = chunk_document(
            load_document(relative, data), org_id=ORG, doc_type="kb", doc_id=relative, source=relative
        )
        index.upsert_chunks(chunks)
        records.append(
            IngestRecord(
                doc_id=relative,
                doc_type="kb",
                root=f"file://{root.resolve().as_posix()}",
                content_hash=fingerprint("kb", relative, data),
                chunk_ids=[c.chunk_id for c in chunks],
            )
        )
    RecordStore(services.store, ORG).put(records)
    return {c for r in records for c in r.chunk_ids}


def stored_ids(services):
    return sorted(s.to_dict()["doc_id"] for s in services.store.col(ORG, COLLECTION).stream())


def test_legacy_folder_records_are_migrated_and_reindexed_under_qualified_ids(services, index, tmp_path):
    files = {"faq.md": FAQ, "guide/setup.md": UPLOADED_FAQ}
    folder = write_kb(tmp_path / "help", files)
    legacy_chunks = write_legacy(services, index, folder, files)

    report = ingest_kb(services, ORG, folder)
    assert report.updated == 2 and report.failed == 0
    assert set(index.by_doc(ORG)) == {folder_id(folder, r) for r in files}
    assert not legacy_chunks & {c.chunk_id for (_, _), c in index.chunks.items()}  # old chunks deleted
    assert stored_ids(services) == sorted(folder_id(folder, r) for r in files)
    # Idempotent: the migration ran once; the next run changes nothing.
    index.reset_counts()
    assert qualify_legacy_ids(services.store, ORG) == 0
    assert ingest_kb(services, ORG, folder).unchanged == 2 and index.upserts == [] and index.deletes == []


def test_legacy_uploads_move_to_the_upload_namespace(services, index, tmp_path):
    uploads = write_kb(tmp_path / "uploads", {"faq.md": UPLOADED_FAQ})
    legacy_chunks = write_legacy(services, index, uploads, {"faq.md": UPLOADED_FAQ})
    report = ingest_kb(services, ORG, uploads, namespace="upload")
    assert (report.added, report.deleted) == (1, 1)
    assert set(index.by_doc(ORG)) == {"upload:faq.md"}
    assert not legacy_chunks & {c.chunk_id for (_, _), c in index.chunks.items()}
    assert stored_ids(services) == ["upload:faq.md"]


def test_a_migration_that_dies_half_way_is_finished_by_the_next_run(services, index, tmp_path, monkeypatch):
    folder = write_kb(tmp_path / "help", {"faq.md": FAQ})
    legacy_chunks = write_legacy(services, index, folder, {"faq.md": FAQ})

    def crash(self, records):
        raise ConnectionError("lost the connection")

    with monkeypatch.context() as patch:
        patch.setattr(RecordStore, "delete", crash)
        with pytest.raises(ConnectionError):
            qualify_legacy_ids(services.store, ORG)
    assert stored_ids(services) == sorted(["faq.md", folder_id(folder, "faq.md")])  # both, nothing lost
    assert qualify_legacy_ids(services.store, ORG) == 1
    assert stored_ids(services) == [folder_id(folder, "faq.md")]
    ingest_kb(services, ORG, folder)
    assert set(index.by_doc(ORG)) == {folder_id(folder, "faq.md")}
    assert not legacy_chunks & {c.chunk_id for (_, _), c in index.chunks.items()}
