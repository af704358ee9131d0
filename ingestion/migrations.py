"""Migration of ingest records from bare relative paths to source-qualified document ids (see `sources.py`).

Before ids named their source, a folder document's id was its path relative to the folder, so an upload and a
folder file of the same name shared one record (each replaced, then deleted, the other's chunks). Every such
record is renamed to its folder's `file://` id, under the same root and with the same chunk ids: the next run of
that folder re-chunks it under the new id (the fingerprint includes the id) and deletes the old chunks as stale;
for a folder now ingested under a namespace (`upload:`, `demo:`) the run re-adds the files under the namespace
and removes the renamed records as gone from the folder. Nothing is deleted by the migration itself.

Runs automatically at the start of `ingest_kb`, once per organisation (a marker in `orgs/{org}/search/migrations`
records it). Idempotent and crash-safe: the new record is written before the old one is deleted, and a rerun that
finds both merges their chunk ids into the new one.
"""

from __future__ import annotations

from domain.ingest_records import RecordStore
from domain.migrations import MigrationMarkers
from domain.store import Store, utcnow
from ingestion.sources import is_qualified, qualified_id

MARKER = "kb_doc_ids"
VERSION = 2


def qualify_legacy_ids(store: Store, org_id: str) -> int:
    """Rename the org's knowledge-base records that have bare relative ids; returns how many were renamed."""
    markers = MigrationMarkers(store, org_id)
    if markers.version(MARKER) >= VERSION:
        return 0
    records = RecordStore(store, org_id)
    legacy = [r for r in records.of_type("kb") if not is_qualified(r.doc_id)]
    renamed = []
    for record in legacy:
        new_id = qualified_id(record.root, record.doc_id)
        renamed.append(record.model_copy(update={"doc_id": new_id, "updated_at": utcnow()}))
    current = records.get_many([("kb", r.doc_id) for r in renamed])
    merged = []
    for record in renamed:
        if (other := current.get(record.doc_id)) is not None:  # a rerun after a crash: keep every chunk id
            pending = sorted(other.all_chunk_ids() | record.all_chunk_ids())
            record = other.model_copy(update={"pending_chunk_ids": pending})
        merged.append(record)
    records.put(merged)  # the new records first ...
    records.delete(legacy)  # ... then the old ones: a crash between leaves both, which a rerun merges
    markers.mark(MARKER, VERSION)
    return len(legacy)
