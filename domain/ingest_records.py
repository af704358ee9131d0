"""The ingest records: what the index holds for each source document, persisted in Firestore.

`orgs/{org}/ingest_records/{key}` holds, per document, the fingerprint of the source it was indexed from, the ids
of the chunks it produced, the root it was listed under (the scope of deletions) and `updated_at`.

Why our own and not LangChain's indexing API (`langchain_core.indexing.index` + a record manager): that API keys
its records and vector ids by a hash of each chunk's content, while our `Chunk.chunk_id` is a stable id of a
document part that a changed passage keeps (the retrieval interface and Vertex AI datapoints are keyed by it);
it drives a LangChain `VectorStore`, not our `SearchService`; and its `full` cleanup deletes everything of a
namespace that one run did not see, which is wrong for a sharded run and for a root that is only one of several
sources of an organisation. What it does well is kept here: a document whose source hash is unchanged is not
even chunked, and the index is written before the record.

Crash safety: `pending_chunk_ids` lists ids that may exist in the index beyond `chunk_ids`. It is written
before new chunks are upserted (so a crash cannot leave unrecorded chunks) and holds stale ids until they are
deleted. A record whose `content_hash` is empty is unfinished and is redone by the next run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from domain.doc_types import DocType
from domain.store import Store, utcnow

COLLECTION = "ingest_records"
_BATCH_WRITES = 450  # Firestore allows 500 writes per batch


class IngestRecord(BaseModel):
    doc_id: str
    doc_type: DocType
    root: str = Field(description="The source root or prefix the document was listed under; `catalog` for catalog")
    content_hash: str = Field(default="", description="Fingerprint of the indexed source; empty while unfinished")
    chunk_ids: list[str] = Field(default_factory=list)
    pending_chunk_ids: list[str] = Field(default_factory=list)
    updated_at: datetime = Field(default_factory=utcnow)
    # What an admin's list of documents shows; empty on records written before they were kept, until the
    # document changes (the list then names it by its id).
    title: str = ""
    size_bytes: int | None = Field(default=None, description="Size of the source as indexed")

    @property
    def complete(self) -> bool:
        return bool(self.content_hash)

    def all_chunk_ids(self) -> set[str]:
        return set(self.chunk_ids) | set(self.pending_chunk_ids)


def record_key(doc_type: str, doc_id: str) -> str:
    """Firestore ids cannot hold `/`; a hash of type and id is a safe, fixed-length key (the id is a field)."""
    return hashlib.sha256(f"{doc_type}\x1f{doc_id}".encode()).hexdigest()[:40]


class RecordStore:
    def __init__(self, store: Store, org_id: str) -> None:
        self.store = store
        self.org_id = org_id

    def _col(self) -> firestore.CollectionReference:
        return self.store.col(self.org_id, COLLECTION)

    def _ref(self, doc_type: str, doc_id: str) -> firestore.DocumentReference:
        return self._col().document(record_key(doc_type, doc_id))

    def in_root(self, root: str) -> dict[str, IngestRecord]:
        """Every record listed under `root`, by doc id: one query per run instead of one read per document."""
        query = self._col().where(filter=FieldFilter("root", "==", root))
        records = (IngestRecord(**(snap.to_dict() or {})) for snap in query.stream())
        return {record.doc_id: record for record in records}

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[str, IngestRecord]:
        refs = [self._ref(doc_type, doc_id) for doc_type, doc_id in keys]
        if not refs:
            return {}
        snaps = self.store.client.get_all(refs)
        records = (IngestRecord(**(snap.to_dict() or {})) for snap in snaps if snap.exists)
        return {record.doc_id: record for record in records}

    def of_type(self, doc_type: str) -> list[IngestRecord]:
        """Every record of one document type (an organisation's knowledge base: hundreds to a few thousand)."""
        query = self._col().where(filter=FieldFilter("doc_type", "==", doc_type))
        return [IngestRecord(**(snap.to_dict() or {})) for snap in query.stream()]

    def get(self, doc_type: str, doc_id: str) -> IngestRecord | None:
        snap = self._ref(doc_type, doc_id).get()
        return IngestRecord(**(snap.to_dict() or {})) if snap.exists else None

    def put(self, records: Sequence[IngestRecord]) -> None:
        """Write whole records, in batches (one commit per batch)."""
        for start in range(0, len(records), _BATCH_WRITES):
            batch = self.store.client.batch()
            for record in records[start : start + _BATCH_WRITES]:
                batch.set(self._ref(record.doc_type, record.doc_id), record.model_dump())
            batch.commit()

    def delete(self, records: Sequence[IngestRecord]) -> None:
        for start in range(0, len(records), _BATCH_WRITES):
            batch = self.store.client.batch()
            for record in records[start : start + _BATCH_WRITES]:
                batch.delete(self._ref(record.doc_type, record.doc_id))
            batch.commit()
