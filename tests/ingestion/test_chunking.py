"""Chunks: heading paths, bounded size with overlap, stable ids, embedded text with title and path."""

from __future__ import annotations

import hashlib
import itertools

from ingestion.chunking import CHUNK_SIZE, chunk_document, chunk_id
from ingestion.loaders import load_document
from retrieval.text import index_text
from tests.ingestion.doubles import KB_FILES


def chunks_of(name: str, org: str = "acme-outdoor"):
    data = KB_FILES[name]
    document = load_document(name, data if isinstance(data, bytes) else data.encode())
    return chunk_document(document, org_id=org, doc_type="kb", doc_id=name, source=name)


def test_heading_paths_and_metadata():
    chunks = chunks_of("channels/connect-takealot.md")
    paths = [c.heading_path for c in chunks]
    assert paths == [
        ["Connecting Takealot"],
        ["Connecting Takealot", "Before you start"],
        ["Connecting Takealot", "Steps"],
        ["Connecting Takealot", "Steps", "Troubleshooting"],
    ]
    steps = chunks[2]
    assert (steps.org_id, steps.doc_type, steps.doc_id, steps.source) == (
        "acme-outdoor",
        "kb",
        "channels/connect-takealot.md",
        "channels/connect-takealot.md",
    )
    assert steps.title == "Connecting Takealot"
    assert steps.text.startswith("1. Open **Settings > Channels**.")
    # What retrieval embeds is title + heading path + passage; content_hash is the sha256 of exactly that.
    embedded = index_text(steps)
    assert embedded.startswith("Connecting Takealot\nConnecting Takealot > Steps\n1. Open")
    assert steps.content_hash == hashlib.sha256(embedded.encode()).hexdigest()


def test_html_heading_path():
    chunks = chunks_of("importing/customs.html")
    assert [c.heading_path for c in chunks][-1] == ["Customs duty and import VAT", "Import VAT", "Example"]


def test_long_sections_are_bounded_with_overlap():
    chunks = [c for c in chunks_of("inventory/stock-explained.md") if c.heading_path[-1] == "Reserved stock"]
    assert len(chunks) >= 3
    bodies = [c.text for c in chunks]
    assert all(len(b) <= CHUNK_SIZE for b in bodies)
    assert all(len(b) >= 500 for b in bodies[:-1])
    assert [c.metadata["ordinal"] for c in chunks] == list(range(len(chunks)))
    # Overlap: the start of each chunk repeats the end of the one before.
    for before, after in itertools.pairwise(bodies):
        assert after[:40] in before


def test_ids_are_stable_unique_and_scoped_by_org():
    first, again = chunks_of("inventory/stock-explained.md"), chunks_of("inventory/stock-explained.md")
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    other_org = chunks_of("inventory/stock-explained.md", org="other-org")
    assert not {c.chunk_id for c in first} & {c.chunk_id for c in other_org}
    assert first[0].chunk_id == chunk_id("acme-outdoor", "inventory/stock-explained.md", first[0].heading_path, 0)


def test_editing_one_section_keeps_the_ids_of_the_others():
    name = "channels/connect-takealot.md"
    before = chunks_of(name)
    edited = KB_FILES[name].replace("error 401", "error 401 or 403")
    after = chunk_document(
        load_document(name, edited.encode()), org_id="acme-outdoor", doc_type="kb", doc_id=name, source=name
    )
    assert [c.chunk_id for c in before] == [c.chunk_id for c in after]
    changed = [a.chunk_id for b, a in zip(before, after, strict=True) if a.content_hash != b.content_hash]
    assert changed == [after[-1].chunk_id]
