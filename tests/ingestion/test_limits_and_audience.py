"""A file over the text limit fails with a clear reason; a long file reports progress while it is written, in
bounded batches; front matter `audience:` reaches every chunk (and a bad value is refused, not published)."""

from __future__ import annotations

import pytest

from ingestion import pipeline
from ingestion.errors import ParseError
from ingestion.indexer import BATCH_CHUNKS
from ingestion.loaders import load_document
from ingestion.pipeline import ingest_kb
from tests.domain.fixtures import ORG
from tests.ingestion.doubles import write_kb


def test_a_file_over_the_text_limit_fails_with_the_reason(services, index, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_TEXT_CHARS", 5_000)
    kb = write_kb(
        tmp_path / "kb", {"huge.txt": "Log line about nothing in particular.\n" * 400, "ok.md": "# Ok\n\nFine."}
    )
    report = ingest_kb(services, ORG, kb)
    assert (report.added, report.failed) == (1, 1)
    assert "over the limit of 5,000 per file" in report.failures[0].reason and report.failures[0].permanent
    assert report.failures[0].path.endswith("/huge.txt")
    assert all(not doc_id.endswith("huge.txt") for doc_id in index.by_doc(ORG))


def test_a_file_over_the_byte_limit_is_not_even_read(services, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_FILE_BYTES", 100)
    kb = write_kb(tmp_path / "kb", {"big.md": "# Big\n\n" + "word " * 100})
    report = ingest_kb(services, ORG, kb)
    assert report.failed == 1 and "over the limit of 100 per file" in report.failures[0].reason


def test_a_long_file_reports_progress_in_bounded_batches(services, index, tmp_path):
    paragraphs = "\n\n".join(f"Paragraph {i}: " + "stock counts and transfers " * 30 for i in range(200))
    kb = write_kb(tmp_path / "kb", {"manual.md": "# Warehouse manual\n\n" + paragraphs})
    events = []
    report = ingest_kb(services, ORG, kb, progress=events.append)
    assert report.added == 1 and report.chunks_written > 2 * BATCH_CHUNKS
    assert all(len(call) <= BATCH_CHUNKS for call in index.upserts)  # never the whole file in one write
    during = [e for e in events if e.outcome == "indexing"]
    assert len(during) == len(index.upserts) and during[-1].chunks_done == during[-1].chunks_total
    assert [e.chunks_done for e in during] == sorted(e.chunks_done for e in during)
    assert events[-1].outcome == "added"


def test_audience_front_matter_reaches_every_chunk(services, index, tmp_path):
    kb = write_kb(
        tmp_path / "kb",
        {
            "internal.md": "---\ntitle: Recovery\naudience: internal\n---\n# Recovery\n\n## Steps\n\n1. Verify.\n",
            "public.md": "# Returns\n\nThirty days.\n",
            "staff.html": '<html><head><meta name="audience" content="internal"><title>Staff</title></head>'
            "<body><p>Only for staff.</p></body></html>",
        },
    )
    ingest_kb(services, ORG, kb, namespace="help")
    audiences = {doc_id: {c.audience for c in chunks} for doc_id, chunks in index.by_doc(ORG).items()}
    assert audiences == {
        "help:internal.md": {"internal"},
        "help:public.md": {"public"},
        "help:staff.html": {"internal"},
    }


def test_a_bad_audience_is_refused():
    with pytest.raises(ParseError, match="audience must be public or internal"):
        load_document("x.md", b"---\naudience: staff-only\n---\n# X\n\nText.\n")
