"""Content-hash embedding cache: re-ingesting unchanged text costs no model call.

Key: sha256 of (model name, NUL, text). Values are float32 bytes in SQLite (WAL mode), which gives atomic commits
and safe concurrent use by the API server and a `fluxori ingest` run without a lock of our own. Queries are not
cached (each is embedded once and they rarely repeat); documents are.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.types import Embedder


def content_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """A persistent map from content key to vector, one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, dim INTEGER, vector BLOB)")
        self._db.commit()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), 500):
                part = unique[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", part)
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        rows = [(key, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for key, v in items.items()]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO embeddings (key, dim, vector) VALUES (?, ?, ?)", rows)
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedEmbedder:
    """An `Embedder` that asks the wrapped one only for texts it has not embedded before.

    `misses` counts texts sent to the model over the object's life (tests and ingestion summaries read it).
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.dim = inner.dim
        self.misses = 0
        self.hits = 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        keys = [content_key(self.name, text) for text in texts]
        known = self.cache.get_many(keys)
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in known and key not in todo:
                todo[key] = text
        if todo:
            vectors = self.inner.embed_documents(list(todo.values()))
            fresh = dict(zip(todo.keys(), vectors, strict=True))
            self.cache.put_many(fresh)
            known.update(fresh)
        self.misses += len(todo)
        self.hits += len(texts) - len(todo)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[key] for key in keys]).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)
