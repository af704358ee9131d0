"""One document cannot fill the page: search returns at most `per_document` passages of each document (one by
default), and `document` gives a document's passages in reading order."""

from __future__ import annotations

from retrieval.hybrid import HybridSearchService
from tests.retrieval.conftest import make_chunk

ORG = "bergveld"


def test_a_long_document_gets_one_hit_and_the_others_still_show(memory_service: HybridSearchService) -> None:
    long = [
        make_chunk(ORG, f"log-{i}", f"courier box sizes log entry {i}", doc_id="kb:huge.txt", metadata={"position": i})
        for i in range(40)
    ]
    others = [make_chunk(ORG, f"doc-{i}", f"courier box sizes guide {i}", doc_id=f"kb:guide-{i}.md") for i in range(4)]
    memory_service.upsert_chunks(long + others)
    hits = memory_service.search(ORG, "courier box sizes", k=5)
    assert len(hits) == 5 and len({h.doc_id for h in hits}) == 5
    assert sum(h.doc_id == "kb:huge.txt" for h in hits) == 1
    wider = memory_service.search(ORG, "courier box sizes", k=5, per_document=3)
    assert sum(h.doc_id == "kb:huge.txt" for h in wider) == 3 and len({h.doc_id for h in wider}) == 5
    assert [c.chunk_id for c in memory_service.document(ORG, "kb:huge.txt")] == [f"log-{i}" for i in range(40)]
