"""Per-organisation in-memory snapshot of the chunk store: every chunk plus its BM25 index.

The snapshot is rebuilt when the organisation's corpus version (kept in the chunk store, moved by every write from
any process) differs from the one it was built at. Checking the version is one Firestore read, so it is done at
most once per `ttl` seconds per organisation; writes made through this process mark the snapshot stale at once,
so a process always reads its own writes. Rebuilding is measured in BENCHMARKS.md (bm25s indexes ~100k chunks in
seconds); a per-organisation lock makes concurrent queries wait for one rebuild instead of each doing it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from retrieval.chunk_store import ChunkStore
from retrieval.keyword import KeywordIndex
from retrieval.text import index_text
from retrieval.types import Chunk


def reading_order(chunk: Chunk) -> tuple[str, int, str]:
    """Chunks of a document in the order they were cut (`position`; chunks from before it sort by id)."""
    return chunk.doc_id, int(chunk.metadata.get("position", 0)), chunk.chunk_id


@dataclass
class OrgCorpus:
    version: int
    checked_at: float
    chunks: dict[str, Chunk]
    keyword: KeywordIndex
    by_doc: dict[str, list[str]]  # doc id -> its chunk ids in reading order


class CorpusCache:
    def __init__(self, store: ChunkStore, ttl: float = 1.0, k1: float = 1.5, b: float = 0.75) -> None:
        self.store = store
        self.ttl = ttl
        self.k1, self.b = k1, b
        self._corpora: dict[str, OrgCorpus] = {}
        self._stale: set[str] = set()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, org_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(org_id, threading.Lock())

    def invalidate(self, org_id: str) -> None:
        with self._guard:
            self._stale.add(org_id)

    def get(self, org_id: str) -> OrgCorpus:
        cached = self._corpora.get(org_id)
        if cached is not None and org_id not in self._stale and time.monotonic() - cached.checked_at < self.ttl:
            return cached
        with self._lock(org_id):
            with self._guard:
                stale = org_id in self._stale
                self._stale.discard(org_id)
            cached = self._corpora.get(org_id)
            version = self.store.version(org_id)
            if cached is not None and not stale and cached.version == version:
                cached.checked_at = time.monotonic()
                return cached
            chunks = {chunk.chunk_id: chunk for chunk in self.store.all(org_id)}
            keyword = KeywordIndex(
                list(chunks),
                [chunk.doc_type for chunk in chunks.values()],
                [index_text(chunk) for chunk in chunks.values()],
                k1=self.k1,
                b=self.b,
                audiences=[chunk.audience for chunk in chunks.values()],
            )
            by_doc: dict[str, list[str]] = {}
            for chunk in sorted(chunks.values(), key=reading_order):
                by_doc.setdefault(chunk.doc_id, []).append(chunk.chunk_id)
            corpus = OrgCorpus(version, time.monotonic(), chunks, keyword, by_doc)
            self._corpora[org_id] = corpus
            return corpus
