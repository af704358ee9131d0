"""The incremental sync: bring the index in line with a set of source documents, touching only what changed.

Per batch of changed documents, in this order (see `records.py` for why):
  1. record the chunk ids about to be written as pending       (a crash after this leaves no unknown chunks)
  2. upsert the new chunks into the search index                (the index first ...)
  3. write the finished records: fingerprint, chunk ids, stale ids still pending   (... then the record)
  4. delete the stale chunks (old ids the new version no longer has) and clear them from the records
A crash between 1 and 3 leaves a record with the old fingerprint, so the next run redoes the document and deletes
whatever ids it had written; a crash between 3 and 4 leaves stale ids pending, which the next run's sweep deletes.
An unchanged fingerprint costs one in-memory comparison: no parsing, no embedding, no write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from domain.ingest_records import IngestRecord, RecordStore
from domain.store import utcnow
from ingestion.errors import FileRejected, ParseError
from ingestion.models import Failure, IngestReport, Outcome, Stage
from retrieval.types import Chunk, DocType, SearchService

log = logging.getLogger(__name__)
BATCH_DOCS = 64
BATCH_CHUNKS = 64


@dataclass(frozen=True)
class PendingDoc:
    """A source document as the sync sees it: `build` (parse + chunk) is only called when the fingerprint changed."""

    doc_id: str
    doc_type: DocType
    fingerprint: str
    build: Callable[[], list[Chunk]] = field(repr=False, compare=False)
    size_bytes: int | None = None


class Tick(Protocol):
    def __call__(self, doc_id: str, outcome: Outcome) -> None: ...

    def chunks(self, doc_id: str, done: int, total: int, stage: Stage = "indexing") -> None: ...


class Syncer:
    def __init__(
        self, records: RecordStore, searcher: SearchService, report: IngestReport, tick: Tick, root: str
    ) -> None:
        self.records, self.searcher, self.report, self.tick, self.root = records, searcher, report, tick, root
        self.org_id = records.org_id

    # Documents present in the source -----------------------------------------------------------------------
    def sync(self, docs: Iterable[PendingDoc], existing: dict[str, IngestRecord]) -> set[str]:
        """Index what changed; returns the doc ids seen (failed ones included: a parse error deletes nothing)."""
        seen: set[str] = set()
        changed: list[tuple[PendingDoc, IngestRecord | None, list[Chunk]]] = []
        retag: list[IngestRecord] = []
        pending_chunks = 0
        for doc in docs:
            seen.add(doc.doc_id)
            record = existing.get(doc.doc_id)
            if record is not None and record.complete and record.content_hash == doc.fingerprint:
                if record.root != self.root:  # the same document now listed under another root: adopt it
                    retag.append(record.model_copy(update={"root": self.root, "updated_at": utcnow()}))
                    if len(retag) >= BATCH_DOCS:
                        self.records.put(retag)
                        retag = []
                self.report.count("unchanged")
                self.tick(doc.doc_id, "unchanged")
                continue
            try:
                chunks = doc.build()
            except Exception as exc:  # any loader error is this file's problem, not the run's
                permanent = isinstance(exc, (ParseError, FileRejected))
                self._fail(doc.doc_id, str(exc) or "the file cannot be read", permanent=permanent)
                continue
            if not chunks:
                self._fail(doc.doc_id, "no text to index", permanent=True)
                continue
            self.tick.chunks(doc.doc_id, 0, len(chunks), stage="read")  # per file, before the batch is embedded
            changed.append((doc, record, chunks))
            pending_chunks += len(chunks)
            # Batches bounded by chunks as well as documents: long articles would otherwise make one batch take
            # tens of seconds to embed, with no progress shown and no point at which a run can stop.
            if len(changed) >= BATCH_DOCS or pending_chunks >= BATCH_CHUNKS:
                self._apply(changed)
                changed, pending_chunks = [], 0
        if retag:
            self.records.put(retag)
        if changed:
            self._apply(changed)
        return seen

    def _fail(self, doc_id: str, reason: str, *, permanent: bool = False) -> None:
        self.report.failures.append(Failure(path=doc_id, reason=reason, permanent=permanent))
        self.report.count("failed")
        self.tick(doc_id, "failed")

    def _apply(self, changed: list[tuple[PendingDoc, IngestRecord | None, list[Chunk]]]) -> None:
        now = utcnow()
        intents = []
        for doc, record, chunks in changed:
            base = record or IngestRecord(doc_id=doc.doc_id, doc_type=doc.doc_type, root=self.root)
            pending = base.all_chunk_ids() | {c.chunk_id for c in chunks}
            intents.append(base.model_copy(update={"pending_chunk_ids": sorted(pending), "updated_at": now}))
        self.records.put(intents)  # 1
        # 2, in slices: a long document (thousands of chunks) shows progress and is never embedded all at once.
        # A progress callback that raises (a stop request) leaves pending ids that the next run clears up.
        written = [c for _, _, chunks in changed for c in chunks]
        spans, offset = [], 0  # where each document's chunks are in `written`, for per-file progress
        for doc, _, chunks in changed:
            spans.append((doc.doc_id, offset, offset + len(chunks)))
            offset += len(chunks)
        for start in range(0, len(written), BATCH_CHUNKS):
            end = min(start + BATCH_CHUNKS, len(written))
            try:
                self.searcher.upsert_chunks(written[start:end])
            except Exception as exc:
                reason = "the search index could not be written; the next run retries it"
                log.warning("%s: %r (%d documents)", reason, exc, len(changed))
                for doc, _, _ in changed:
                    self._fail(doc.doc_id, reason)
                return
            for doc_id, first, last in spans:  # each document this slice wrote to, and how far it has got
                if first < end and last > start:
                    self.tick.chunks(doc_id, min(end, last) - first, last - first)
        finished, stale_ids = [], []
        for doc, record, chunks in changed:
            new_ids = [c.chunk_id for c in chunks]
            stale = (record.all_chunk_ids() if record else set()) - set(new_ids)
            stale_ids.extend(sorted(stale))
            finished.append(
                IngestRecord(
                    doc_id=doc.doc_id,
                    doc_type=doc.doc_type,
                    root=self.root,
                    content_hash=doc.fingerprint,
                    chunk_ids=new_ids,
                    pending_chunk_ids=sorted(stale),
                    updated_at=now,
                    title=chunks[0].title,
                    size_bytes=doc.size_bytes,
                )
            )
        self.records.put(finished)  # 3
        self._delete_stale(stale_ids, [r for r in finished if r.pending_chunk_ids])  # 4
        for (doc, record, chunks), _ in zip(changed, finished, strict=True):
            outcome: Outcome = "updated" if record is not None and record.complete else "added"
            self.report.count(outcome)
            self.report.chunks_written += len(chunks)
            self.tick(doc.doc_id, outcome)

    def _delete_stale(self, chunk_ids: list[str], records: list[IngestRecord]) -> None:
        if not chunk_ids:
            return
        try:
            self.searcher.delete_chunks(self.org_id, chunk_ids)
        except Exception as exc:  # the ids stay pending; the next run's sweep deletes them
            log.warning("could not delete %d stale chunks (retried next run): %s", len(chunk_ids), exc)
            return
        self.report.chunks_deleted += len(chunk_ids)
        self.records.put([r.model_copy(update={"pending_chunk_ids": []}) for r in records])

    # Housekeeping ---------------------------------------------------------------------------------------------
    def sweep(self, existing: dict[str, IngestRecord]) -> None:
        """Finish what an interrupted run left: stale ids of finished records that were never deleted."""
        leftovers = [r for r in existing.values() if r.complete and r.pending_chunk_ids]
        stale = sorted(
            {i for r in leftovers for i in r.pending_chunk_ids} - {i for r in leftovers for i in r.chunk_ids}
        )
        if not leftovers:
            return
        if stale:
            self._delete_stale(stale, leftovers)
        else:
            self.records.put([r.model_copy(update={"pending_chunk_ids": []}) for r in leftovers])
        for record in leftovers:
            existing[record.doc_id] = record.model_copy(update={"pending_chunk_ids": []})

    def remove(self, gone: list[IngestRecord]) -> None:
        """Delete the chunks of documents that left the source, then their records."""
        for start in range(0, len(gone), BATCH_DOCS):
            batch = gone[start : start + BATCH_DOCS]
            # Unfinished first: a crash after this point redoes the deletion instead of trusting the record.
            marked = [
                r.model_copy(
                    update={"content_hash": "", "chunk_ids": [], "pending_chunk_ids": sorted(r.all_chunk_ids())}
                )
                for r in batch
            ]
            self.records.put(marked)
            ids = sorted({i for r in marked for i in r.pending_chunk_ids})
            if ids:
                try:
                    self.searcher.delete_chunks(self.org_id, ids)
                except Exception as exc:
                    for record in batch:
                        self.report.failures.append(Failure(path=record.doc_id, reason=f"delete failed: {exc}"))
                        self.report.count("failed")
                    continue
            self.records.delete(marked)
            self.report.chunks_deleted += len(ids)
            self.report.deleted += len(batch)
