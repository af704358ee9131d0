"""The whole help-centre article behind a citation, for the side panel of the chat.

A stopgap behind one small function until the assistant offers the article itself (`GET /v1/kb/{doc_id}`): the
chunks of the cited source are read from the chunk store, in document order as the ingest record lists their
ids. Everything is read under the caller's organisation, so another organisation's article cannot be opened.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud.firestore_v1.base_query import FieldFilter

from domain.store import Store
from ingestion.records import RecordStore
from retrieval.chunk_store import FirestoreChunkStore


@dataclass(frozen=True)
class Section:
    heading_path: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Article:
    source: str
    title: str
    sections: list[Section]


def read_article(store: Store, org_id: str, source: str) -> Article | None:
    """The help-centre article cited as `source` in this organisation, or None if it has none by that name."""
    query = store.col(org_id, "chunks").where(filter=FieldFilter("source", "==", source)).limit(1)
    first = next((snap.to_dict() for snap in query.stream()), None)
    if not first or first.get("doc_type") != "kb" or first.get("org_id") != org_id:
        return None
    record = RecordStore(store, org_id).get_many([("kb", first["doc_id"])]).get(first["doc_id"])
    ids = record.chunk_ids if record and record.chunk_ids else [first["chunk_id"]]
    chunks = FirestoreChunkStore(store).get_many(org_id, ids)
    sections = [Section(tuple(chunks[i].heading_path), chunks[i].text) for i in ids if i in chunks]
    return Article(source=source, title=first.get("title") or source, sections=sections)
