"""Where chunk text and metadata live, and the per-organisation corpus version that tells caches to refresh.

Production and local mode share one code path: Firestore at `orgs/{org_id}/chunks/{chunk_id}` (locally Google's
emulator), with `orgs/{org_id}/search/corpus.version` incremented in the same write batch as every change, so a
process that caches an organisation's keyword index (the API server) sees that another process (`fluxori ingest`)
changed the corpus. Vector indexes store ids and vectors only; hits are resolved to text here.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Protocol

from google.cloud import firestore

from domain.store import Store
from retrieval.types import Chunk

BATCH_LIMIT = 450  # Firestore allows 500 writes per batch; one is the version counter
SAFE_DOC_ID = re.compile(r"^(?!__.*__$)(?!\.\.?$)[^/]{1,700}$")


def doc_key(chunk_id: str) -> str:
    """Firestore document ids cannot contain '/', be '.'/'..' or look like `__x__`: hash such chunk ids."""
    if SAFE_DOC_ID.match(chunk_id) and len(chunk_id.encode()) <= 700:
        return chunk_id
    return "h_" + hashlib.sha256(chunk_id.encode()).hexdigest()


class ChunkStore(Protocol):
    def put(self, chunks: Sequence[Chunk]) -> None: ...

    def delete(self, org_id: str, chunk_ids: Sequence[str]) -> None: ...

    def get_many(self, org_id: str, chunk_ids: Sequence[str]) -> dict[str, Chunk]: ...

    def all(self, org_id: str) -> list[Chunk]: ...

    def version(self, org_id: str) -> int: ...


def _by_org(chunks: Iterable[Chunk]) -> dict[str, list[Chunk]]:
    groups: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        groups.setdefault(chunk.org_id, []).append(chunk)
    return groups


class FirestoreChunkStore:
    """Chunks as Firestore documents under their organisation; the version counter moves with every batch."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _chunks(self, org_id: str) -> firestore.CollectionReference:
        return self.store.col(org_id, "chunks")

    def _version_ref(self, org_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "search").document("corpus")

    def _bump(self, batch: firestore.WriteBatch, org_id: str) -> None:
        batch.set(
            self._version_ref(org_id),
            {"version": firestore.Increment(1), "updated_at": firestore.SERVER_TIMESTAMP},
            merge=True,
        )

    def put(self, chunks: Sequence[Chunk]) -> None:
        for org_id, group in _by_org(chunks).items():
            for start in range(0, len(group), BATCH_LIMIT):
                batch = self.store.client.batch()
                for chunk in group[start : start + BATCH_LIMIT]:
                    batch.set(self._chunks(org_id).document(doc_key(chunk.chunk_id)), chunk.model_dump(mode="json"))
                self._bump(batch, org_id)
                batch.commit()

    def delete(self, org_id: str, chunk_ids: Sequence[str]) -> None:
        ids = list(dict.fromkeys(chunk_ids))
        for start in range(0, len(ids), BATCH_LIMIT):
            batch = self.store.client.batch()
            for chunk_id in ids[start : start + BATCH_LIMIT]:
                batch.delete(self._chunks(org_id).document(doc_key(chunk_id)))
            self._bump(batch, org_id)
            batch.commit()

    def get_many(self, org_id: str, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        if not chunk_ids:
            return {}
        refs = [self._chunks(org_id).document(doc_key(chunk_id)) for chunk_id in dict.fromkeys(chunk_ids)]
        found: dict[str, Chunk] = {}
        for snapshot in self.store.client.get_all(refs):
            if snapshot.exists:
                chunk = Chunk.model_validate(snapshot.to_dict())
                if chunk.org_id == org_id:
                    found[chunk.chunk_id] = chunk
        return found

    def all(self, org_id: str) -> list[Chunk]:
        chunks = (Chunk.model_validate(snapshot.to_dict()) for snapshot in self._chunks(org_id).stream())
        return [chunk for chunk in chunks if chunk.org_id == org_id]

    def version(self, org_id: str) -> int:
        snapshot = self._version_ref(org_id).get()
        return int((snapshot.to_dict() or {}).get("version", 0)) if snapshot.exists else 0


class InMemoryChunkStore:
    """A dict of chunks per organisation. ONLY for the BEIR evaluation and benchmarks, which index public corpora
    that need no durability; the service always uses `FirestoreChunkStore`."""

    def __init__(self) -> None:
        self._orgs: dict[str, dict[str, Chunk]] = {}
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    def put(self, chunks: Sequence[Chunk]) -> None:
        with self._lock:
            for org_id, group in _by_org(chunks).items():
                self._orgs.setdefault(org_id, {}).update({chunk.chunk_id: chunk for chunk in group})
                self._versions[org_id] = self._versions.get(org_id, 0) + 1

    def delete(self, org_id: str, chunk_ids: Sequence[str]) -> None:
        with self._lock:
            org = self._orgs.get(org_id, {})
            for chunk_id in chunk_ids:
                org.pop(chunk_id, None)
            self._versions[org_id] = self._versions.get(org_id, 0) + 1

    def get_many(self, org_id: str, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        org = self._orgs.get(org_id, {})
        return {chunk_id: org[chunk_id] for chunk_id in chunk_ids if chunk_id in org}

    def all(self, org_id: str) -> list[Chunk]:
        return list(self._orgs.get(org_id, {}).values())

    def version(self, org_id: str) -> int:
        return self._versions.get(org_id, 0)
