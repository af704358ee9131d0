"""The public entry points of ingestion: knowledge-base files, the catalogue (products and orders), and the
re-indexing of single products and orders after a write.

Each run reads its records once, compares fingerprints, chunks and upserts only what changed, then deletes what
left the source (only within the run's root and, when sharded, only the documents its shard owns).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from domain.catalog import normalise_sku
from domain.errors import NotFound
from domain.ingest_records import RecordStore
from domain.orders import Order
from domain.orgs import OrgRepository
from domain.ports import Orders, Products, Stock
from domain.store import Store
from ingestion.catalog_docs import (
    order_doc_id,
    order_metadata,
    product_doc_id,
    product_metadata,
    render_order,
    render_product,
)
from ingestion.chunking import CHUNKER_VERSION, chunk_document
from ingestion.errors import FileRejected, IngestError
from ingestion.indexer import PendingDoc, Syncer
from ingestion.loaders import load_document
from ingestion.migrations import qualify_legacy_ids
from ingestion.models import Failure, IngestProgress, IngestReport, LoadedDocument
from ingestion.progress import Ticker
from ingestion.sharding import Shard, owns, validate_shard
from ingestion.sources import SourceFile, open_source
from retrieval.types import Chunk, DocType, SearchService

log = logging.getLogger(__name__)

CATALOG_ROOT = "catalog"
# Per knowledge-base file: what is read into memory, and the text it may hold (about 2,500 chunks). A longer file is
# reported as failed with the reason, not indexed: one huge file would crowd the results and take minutes to embed.
MAX_FILE_BYTES = 50_000_000
MAX_TEXT_CHARS = 2_000_000
# OrderRepository.list needs a limit; this is "all" for any shop this runs for (the query streams its results).
ORDER_LIMIT = 1_000_000


class IngestServices(Protocol):
    """What ingestion uses of `app.wiring.Services` (typed here so `ingestion` never imports `assistant`)."""

    @property
    def store(self) -> Store: ...

    @property
    def products(self) -> Products: ...

    @property
    def inventory(self) -> Stock: ...

    @property
    def orders(self) -> Orders: ...

    @property
    def searcher(self) -> SearchService: ...


ProgressFn = Callable[[IngestProgress], None]


def fingerprint(doc_type: str, doc_id: str, content: bytes) -> str:
    """Of the source, not of the chunks: unchanged input is recognised before it is parsed or chunked."""
    digest = hashlib.sha256(f"{CHUNKER_VERSION}\x1f{doc_type}\x1f{doc_id}\x1f".encode())
    digest.update(content)
    return digest.hexdigest()


def _require_org(services: IngestServices, org_id: str) -> None:
    OrgRepository(services.store).get(org_id)  # NotFound: "organisation 'x' does not exist"


def _project(services: IngestServices) -> str | None:
    """The Cloud Storage client's project in gcp mode; locally the credentials' own project (or the emulator's)."""
    settings = getattr(services, "settings", None)
    return settings.project if settings is not None and getattr(settings, "mode", None) == "gcp" else None


def _run(
    services: IngestServices,
    org_id: str,
    *,
    root: str,
    docs: Sequence[PendingDoc] | Iterator[PendingDoc],
    total: int,
    existing: dict[str, Any],
    report: IngestReport,
    shard: Shard | None,
    label: str,
    progress: ProgressFn | None,
    show_progress_bar: bool,
) -> IngestReport:
    started = time.perf_counter()
    records = RecordStore(services.store, org_id)
    ticker = Ticker(total, label=label, callback=progress, show_bar=show_progress_bar)
    try:
        syncer = Syncer(records, services.searcher, report, ticker, root)
        syncer.sweep(existing)
        seen = syncer.sync(docs, existing)
        # Scoped: only records of this root, and of a sharded run only those its shard owns.
        gone = [r for r in existing.values() if r.root == root and r.doc_id not in seen and owns(shard, r.doc_id)]
        syncer.remove(gone)
    finally:
        ticker.close()
    report.seconds = round(report.seconds + time.perf_counter() - started, 3)
    return report


# Knowledge base --------------------------------------------------------------------------------------------------
def _kb_doc(org_id: str, file: SourceFile) -> PendingDoc:
    data = b""
    error: IngestError | None = None
    if file.size is not None and file.size > MAX_FILE_BYTES:
        error = FileRejected(f"{file.size:,} bytes, over the limit of {MAX_FILE_BYTES:,} per file")
    else:
        try:
            data = file.read()
        except Exception as exc:  # a download or permission error fails this file only (and may pass next time)
            log.warning("cannot read %s: %r", file.doc_id, exc)
            error = IngestError("the file could not be read; the next run tries again")
    if error is not None:
        failure = error

        def unreadable() -> list[Chunk]:
            raise failure

        return PendingDoc(doc_id=file.doc_id, doc_type="kb", fingerprint="", build=unreadable)

    def build() -> list[Chunk]:
        document = load_document(file.name, data)
        size = sum(len(part.text) for part in document.parts)
        if size > MAX_TEXT_CHARS:
            raise FileRejected(
                f"{size:,} characters of text, over the limit of {MAX_TEXT_CHARS:,} per file: split it into "
                "smaller files (one topic per article also answers better)"
            )
        return chunk_document(document, org_id=org_id, doc_type="kb", doc_id=file.doc_id, source=file.source)

    digest = fingerprint("kb", file.doc_id, data)
    return PendingDoc(doc_id=file.doc_id, doc_type="kb", fingerprint=digest, build=build, size_bytes=len(data))


def ingest_kb(
    services: IngestServices,
    org_id: str,
    source: str | Path,
    *,
    shard: tuple[int, int] | None = None,
    progress: ProgressFn | None = None,
    show_progress_bar: bool = False,
    namespace: str | None = None,
    only: str | None = None,
) -> IngestReport:
    """Index the Markdown, HTML, PDF and text files of a folder (recursive) or `gs://bucket/prefix` for `org_id`.

    Files of other types are counted as ignored; a file that cannot be parsed is reported and skipped (its old
    chunks, if any, stay). Files gone from this root since the last run have their chunks deleted. Document ids
    name their source (`ingestion.sources`); a folder given a `namespace` (`upload`, `demo`) gets the ids
    `NAMESPACE:relative/path`, the same wherever the folder is. `only` re-indexes one document of the root and
    nothing else: its file if changed, or its removal if the file is gone.
    """
    started = time.perf_counter()
    _require_org(services, org_id)
    shard = validate_shard(shard)
    qualify_legacy_ids(services.store, org_id)
    kb = open_source(source, project=_project(services), namespace=namespace)
    report = IngestReport(source=str(source), org_id=org_id, shard=shard, ignored=len(kb.ignored))
    records = RecordStore(services.store, org_id)
    if only is not None:
        mine = [f for f in kb.files if f.doc_id == only]
        report.ignored = 0
        existing = records.get_many([("kb", only)])
        return _run(
            services,
            org_id,
            root=kb.root_id,
            docs=(_kb_doc(org_id, f) for f in mine),
            total=len(mine),
            existing=existing,
            report=report,
            shard=None,
            label=f"{org_id} reindex",
            progress=progress,
            show_progress_bar=show_progress_bar,
        )
    mine = [f for f in kb.files if owns(shard, f.doc_id)]
    report.other_shard = len(kb.files) - len(mine)
    existing = records.in_root(kb.root_id)
    if kb.folder_id and kb.folder_id != kb.root_id:
        # The folder's records from before it had a namespace (migrated ids): not listed any more, so removed.
        existing.update(
            {k: r.model_copy(update={"root": kb.root_id}) for k, r in records.in_root(kb.folder_id).items()}
        )
    # The same document (the same qualified id) listed under another root, e.g. a parent gs:// prefix, is adopted.
    existing.update(records.get_many([("kb", f.doc_id) for f in mine if f.doc_id not in existing]))
    report.seconds = time.perf_counter() - started
    docs = (_kb_doc(org_id, f) for f in mine)
    label = f"{org_id} kb" + (f" {shard[0]}/{shard[1]}" if shard else "")
    return _run(
        services,
        org_id,
        root=kb.root_id,
        docs=docs,
        total=len(mine),
        existing=existing,
        report=report,
        shard=shard,
        label=label,
        progress=progress,
        show_progress_bar=show_progress_bar,
    )


def delete_document(services: IngestServices, org_id: str, doc_type: DocType, doc_id: str) -> IngestReport:
    """Delete one document from the index: its chunks, then its record (crash-safe as any run's deletions). Its
    source is left alone: a later run of a root that still holds the file adds it again."""
    record = RecordStore(services.store, org_id).get(doc_type, doc_id)
    if record is None:
        raise NotFound(f"there is no indexed document {doc_id!r}")
    return _run(
        services,
        org_id,
        root=record.root,
        docs=[],
        total=0,
        existing={doc_id: record},
        report=IngestReport(source=record.root, org_id=org_id),
        shard=None,
        label=f"{org_id} delete",
        progress=None,
        show_progress_bar=False,
    )


# Catalogue: products and orders ----------------------------------------------------------------------------------
def _rendered_doc(
    org_id: str, doc_type: DocType, doc_id: str, document: LoadedDocument, metadata: dict[str, Any]
) -> PendingDoc:
    text = "\n".join([document.title, *(p.text for p in document.parts)]).encode()

    def build() -> list[Chunk]:
        return chunk_document(
            document, org_id=org_id, doc_type=doc_type, doc_id=doc_id, source=doc_id, metadata=metadata
        )

    digest = fingerprint(doc_type, doc_id, text)
    return PendingDoc(doc_id=doc_id, doc_type=doc_type, fingerprint=digest, build=build, size_bytes=len(text))


def _product_docs(
    services: IngestServices, org_id: str, skus: set[str] | None, shard: Shard | None
) -> tuple[list[PendingDoc], int]:
    """Product documents (all, or those of `skus`) with stock per warehouse, for `shard`; and how many exist."""
    if skus is None:
        products = services.products.list(org_id)
        levels = services.inventory.all_levels(org_id)
    else:
        products = sorted(services.products.get_many(org_id, sorted(skus)).values(), key=lambda p: p.sku)
        levels = [level for p in products for level in services.inventory.levels_for_sku(org_id, p.sku)]
    by_sku = defaultdict(list)
    for level in levels:
        by_sku[level.sku].append(level)
    warehouses = services.inventory.warehouses(org_id)
    docs = [
        _rendered_doc(
            org_id,
            "product",
            product_doc_id(p.sku),
            render_product(p, by_sku.get(p.sku, []), warehouses),
            product_metadata(p),
        )
        for p in products
        if owns(shard, product_doc_id(p.sku))
    ]
    return docs, len(products)


def _order_doc(org_id: str, order: Order) -> PendingDoc:
    doc_id = order_doc_id(order.number)
    return _rendered_doc(org_id, "order", doc_id, render_order(order), order_metadata(order))


def ingest_catalog(
    services: IngestServices,
    org_id: str,
    *,
    shard: tuple[int, int] | None = None,
    progress: ProgressFn | None = None,
    show_progress_bar: bool = False,
) -> IngestReport:
    """Index every product (with stock per warehouse) and order of `org_id`; delete those that no longer exist."""
    started = time.perf_counter()
    _require_org(services, org_id)
    shard = validate_shard(shard)
    report = IngestReport(source=CATALOG_ROOT, org_id=org_id, shard=shard)
    products, product_count = _product_docs(services, org_id, None, shard)
    orders = sorted(services.orders.list(org_id, limit=ORDER_LIMIT), key=lambda o: o.number)
    order_docs = [_order_doc(org_id, o) for o in orders if owns(shard, order_doc_id(o.number))]
    docs = products + order_docs
    report.other_shard = product_count + len(orders) - len(docs)
    existing = RecordStore(services.store, org_id).in_root(CATALOG_ROOT)
    report.seconds = time.perf_counter() - started
    label = f"{org_id} catalog" + (f" {shard[0]}/{shard[1]}" if shard else "")
    return _run(
        services,
        org_id,
        root=CATALOG_ROOT,
        docs=docs,
        total=len(docs),
        existing=existing,
        report=report,
        shard=shard,
        label=label,
        progress=progress,
        show_progress_bar=show_progress_bar,
    )


# Single documents after a write ----------------------------------------------------------------------------------
def parse_doc_id(doc_id: str) -> tuple[DocType, str]:
    """`product:bv-tent-0001` -> ("product", "BV-TENT-0001"); `order:#1042` -> ("order", "1042")."""
    kind, _, key = doc_id.strip().partition(":")
    if kind == "product" and key:
        return "product", normalise_sku(key)
    if kind == "order" and key.lstrip("#").isdigit():
        return "order", str(int(key.lstrip("#")))
    raise IngestError(
        f"cannot re-index {doc_id!r}: give product:SKU or order:NUMBER (knowledge-base files are ingested by folder)"
    )


def reindex_documents(services: IngestServices, org_id: str, doc_ids: Sequence[str]) -> IngestReport:
    """Bring the given products and orders up to date in the index, e.g. after a confirmed stock change or order
    status change (`catalog_docs.doc_ids_for_order` lists an order and its products). A product or order that no
    longer exists has its chunks deleted. Unchanged documents cost a read and a comparison, nothing more."""
    started = time.perf_counter()
    _require_org(services, org_id)
    report = IngestReport(source="reindex", org_id=org_id)
    wanted: dict[str, tuple[DocType, str]] = {}
    for raw in doc_ids:
        try:
            kind, key = parse_doc_id(raw)
        except Exception as exc:  # one bad id should not stop the others
            report.failures.append(Failure(path=raw, reason=getattr(exc, "message", str(exc))))
            report.failed += 1
            continue
        wanted[f"{kind}:{key}"] = (kind, key)
    skus = {key for kind, key in wanted.values() if kind == "product"}
    docs = _product_docs(services, org_id, skus, None)[0] if skus else []
    for kind, key in wanted.values():
        if kind == "order":
            with contextlib.suppress(NotFound):  # gone: its chunks and record are deleted below
                docs.append(_order_doc(org_id, services.orders.get(org_id, key)))
    # Only the records of the ids asked for: `_run` deletes those of them that no longer exist, nothing else.
    existing = RecordStore(services.store, org_id).get_many([(kind, doc_id) for doc_id, (kind, _) in wanted.items()])
    report.seconds = time.perf_counter() - started
    return _run(
        services,
        org_id,
        root=CATALOG_ROOT,
        docs=docs,
        total=len(docs),
        existing=existing,
        report=report,
        shard=None,
        label=f"{org_id} reindex",
        progress=None,
        show_progress_bar=False,
    )
