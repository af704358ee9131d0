"""The organisation's indexed knowledge-base documents, as its admins manage them in the API and the Admin tab:
list them (from the ingest records, `domain.ingest_records`), delete one from the index, re-index one from its source.

A document's id names its source (`ingestion.sources`): `upload:NAME` (or the gs:// object under the upload
prefix), `demo:PATH`, `file:///FOLDER/PATH` (a folder ingested with `fluxori ingest kb`), `gs://BUCKET/OBJECT`.
Deleting an uploaded document removes its file too, so the next upload does not add it again; a folder's, a
bucket's or the demo help centre's file is not ours to remove, and the next run of that source adds it again
(the answer says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from assistant.application import audit
from assistant.application.policy import Capability, check
from assistant.application.uploads import hide_root, remove_stored, upload_root
from assistant.ports import AppServices
from domain.audit import AuditAction, AuditOutcome
from domain.errors import DomainError, InvalidInput, NotFound
from domain.ingest_records import IngestRecord, RecordStore
from domain.orgs import Principal
from ingestion.models import IngestReport

Source = Literal["upload", "demo", "folder", "bucket"]
MAX_DOC_ID_CHARS = 1000


class DocumentInfo(BaseModel):
    doc_id: str = Field(description="The document id (what citations name as `doc_id` and `source`)")
    name: str = Field(description="Its path within its source: the upload name, the path in a folder or bucket")
    title: str = Field(description="The article's title; empty for a document not re-indexed since titles are kept")
    source: Source = Field(description="upload, demo (help centre), folder (`fluxori ingest kb`) or bucket (gs://)")
    status: Literal["indexed", "pending"] = Field(
        description="pending: a run stopped half-way through it; the next run of its source finishes it"
    )
    size_bytes: int | None = Field(default=None, description="Size of the file as indexed, when known")
    chunks: int = Field(description="Passages of it in the search index")
    last_indexed: datetime


@dataclass(frozen=True)
class Deleted:
    document: DocumentInfo
    message: str  # what happens next, for the person who deleted it


@dataclass(frozen=True)
class Reindexed:
    doc_id: str
    outcome: Literal["added", "updated", "unchanged", "deleted", "failed"]
    message: str
    document: DocumentInfo | None  # None once deleted (its file was gone)


def _source(services: AppServices, org_id: str, record: IngestRecord) -> tuple[Source, str]:
    """(source, name) of a record: where its file lives, and its path there (never a folder of the server)."""
    root = record.root
    if root.startswith("gs://"):
        uploads = services.settings.kb_bucket and root == upload_root(services.settings, org_id)
        return ("upload", record.doc_id.removeprefix(root)) if uploads else ("bucket", record.doc_id)
    if root in ("upload:", "demo:"):
        return ("upload" if root == "upload:" else "demo"), record.doc_id.removeprefix(root)
    return "folder", record.doc_id.removeprefix(root.rstrip("/") + "/")


def _info(services: AppServices, org_id: str, record: IngestRecord) -> DocumentInfo:
    source, name = _source(services, org_id, record)
    return DocumentInfo(
        doc_id=record.doc_id,
        name=name,
        title=record.title,
        source=source,
        status="indexed" if record.complete else "pending",
        size_bytes=record.size_bytes,
        chunks=len(record.chunk_ids),
        last_indexed=record.updated_at,
    )


def _record(services: AppServices, principal: Principal, doc_id: str) -> IngestRecord:
    """The caller's organisation's record of `doc_id`; another organisation's id is simply not found here."""
    check(principal, Capability.ingest)
    doc_id = doc_id.strip()
    if not doc_id or len(doc_id) > MAX_DOC_ID_CHARS:
        raise InvalidInput(f"give a document id of 1 to {MAX_DOC_ID_CHARS} characters, as GET /v1/documents lists")
    record = RecordStore(services.store, principal.org_id).get("kb", doc_id)
    if record is None:
        raise NotFound(
            f"there is no indexed knowledge-base document {doc_id!r} in this organisation; "
            "GET /v1/documents lists them (ids look like upload:NAME.md or demo:PATH.md)"
        )
    return record


def list_documents(services: AppServices, principal: Principal) -> list[DocumentInfo]:
    """The organisation's knowledge-base documents, the last indexed first (what an admin just did is on top)."""
    check(principal, Capability.ingest)
    records = RecordStore(services.store, principal.org_id).of_type("kb")
    documents = sorted((_info(services, principal.org_id, r) for r in records), key=lambda d: d.name.lower())
    return sorted(documents, key=lambda d: d.last_indexed, reverse=True)


def get_document(services: AppServices, principal: Principal, doc_id: str) -> DocumentInfo:
    return _info(services, principal.org_id, _record(services, principal, doc_id))


def _failed(report: IngestReport) -> str | None:
    return report.failures[0].reason if report.failures else None


def delete_document(services: AppServices, principal: Principal, doc_id: str) -> Deleted:
    """Delete the document from the index (its chunks, then its record); an uploaded document's file goes first,
    so that a failure half-way leaves a file-less record that the next upload run deletes."""
    from ingestion.pipeline import delete_document as delete_indexed  # imported when used: loaders, chunker

    settings, org = services.settings, principal.org_id
    with services.org_locks.of(org):
        record = _record(services, principal, doc_id)
        document = _info(services, org, record)
        if document.source == "upload":
            remove_stored(settings, org, [record.doc_id])
        report = delete_indexed(services, org, "kb", record.doc_id)
    outcome = AuditOutcome.failed if report.failures else AuditOutcome.ok
    audit.record_as(
        services, principal, AuditAction.document_deleted, record.doc_id, outcome, {"source": document.source}
    )
    if report.failures:  # the record stays, marked unfinished: a retry (or the next run of its source) finishes it
        raise DomainError(f"{document.name} could not be deleted from the search index just now; try again")
    later = {
        "upload": "Its uploaded file was removed too.",
        "demo": "It is part of the demo help centre, which adds it again when the server next starts.",
        "folder": "Its file is still in the folder: the next `fluxori ingest kb` of that folder adds it again "
        "unless you remove the file there.",
        "bucket": "Its object is still in the bucket: the next ingestion of that prefix adds it again unless you "
        "remove the object there.",
    }[document.source]
    return Deleted(document=document, message=f"Deleted {document.name} from the index. {later}")


def _root_of(services: AppServices, org_id: str, record: IngestRecord) -> tuple[str, str | None]:
    """(source root to ingest, namespace) of a record."""
    root = record.root
    if root == "upload:":
        return upload_root(services.settings, org_id), "upload"
    if root.startswith("gs://"):
        return root, None
    if root.startswith("file://"):
        return root.removeprefix("file://"), None
    raise InvalidInput(f"{record.doc_id!r} cannot be re-indexed on its own; ingest its source again")


def reindex_document(services: AppServices, principal: Principal, doc_id: str) -> Reindexed:
    """Bring one document in line with its file: re-read and re-index it if it changed, delete it if it is gone."""
    from ingestion.demo import DEMO_NAMESPACE, demo_kb_folder
    from ingestion.pipeline import ingest_kb

    settings, org = services.settings, principal.org_id
    with services.org_locks.of(org):
        record = _record(services, principal, doc_id)
        name = _info(services, org, record).name
        if record.root == f"{DEMO_NAMESPACE}:":
            with demo_kb_folder() as folder:
                report = ingest_kb(services, org, folder, namespace=DEMO_NAMESPACE, only=record.doc_id)
        else:
            root, namespace = _root_of(services, org, record)
            report = ingest_kb(services, org, root, namespace=namespace, only=record.doc_id)
        # As after an upload: an uploaded file that fails for what it is leaves the uploads (other ids are ignored).
        remove_stored(settings, org, [f.path for f in report.failures if f.permanent])
    result = AuditOutcome.ok if _failed(report) is None else AuditOutcome.failed
    counts = {kind: getattr(report, kind) for kind in ("added", "updated", "unchanged", "deleted", "failed")}
    audit.record_as(services, principal, AuditAction.document_reindexed, record.doc_id, result, counts)
    if (reason := _failed(report)) is not None:
        message = f"{name} could not be re-indexed: {hide_root(settings, org, reason)}"
        return Reindexed(record.doc_id, "failed", message, _current(services, org, record))
    if report.deleted:
        return Reindexed(record.doc_id, "deleted", f"{name} is no longer in its source: removed from the index", None)
    if report.unchanged:
        message = f"{name} has not changed since it was last indexed: nothing to do"
        return Reindexed(record.doc_id, "unchanged", message, _current(services, org, record))
    outcome: Literal["added", "updated"] = "added" if report.added else "updated"
    return Reindexed(record.doc_id, outcome, f"Re-indexed {name}.", _current(services, org, record))


def _current(services: AppServices, org_id: str, record: IngestRecord) -> DocumentInfo | None:
    now = RecordStore(services.store, org_id).get("kb", record.doc_id)
    return _info(services, org_id, now) if now is not None else None
