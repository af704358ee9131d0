"""Knowledge-base uploads: one list of accepted files, one place per organisation, then incremental ingestion.

The files go to the knowledge-base bucket under `kb/{org}/` when FLUXORI_KB_BUCKET is set (production: the prefix
the scheduled ingestion job reads, so Cloud Run's disk never holds the only copy), else to
`{data_dir}/uploads/{org}/`. That folder or prefix is then ingested as a whole: the pipeline deletes documents that
vanished from the root it ingests, so the root must be the same for every upload (a fresh folder per upload would
delete the earlier ones). A file uploaded again replaces its previous version (same name).

A file that fails for what it is (it cannot be parsed, or is over a size limit) is removed from the root once the
run has reported it: left there it would fail again, and be reported again, on every later upload of the
organisation. Its earlier version's chunks (if any) stay until that next run, which deletes them with the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.application import audit
from assistant.application.policy import Capability, check
from assistant.ports import AppServices
from assistant.settings import Settings
from domain.audit import AuditAction
from domain.errors import InvalidInput
from domain.orgs import Principal
from domain.uploads import BucketUploads, FolderUploads, Upload, UploadStore
from ingestion.loaders import LOADERS
from ingestion.models import IngestReport

if TYPE_CHECKING:
    from ingestion.pipeline import ProgressFn

ALLOWED_SUFFIXES: tuple[str, ...] = tuple(LOADERS)  # exactly what the loaders read
MAX_FILES = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UploadResult:
    files: list[str]
    source: str  # `upload:` or the gs:// prefix, never a path of the server
    report: IngestReport


def safe_name(filename: str | None) -> str:
    """A plain file name: no directories (no path traversal), no odd characters, a suffix a loader reads."""
    name = _UNSAFE.sub("_", Path((filename or "").replace("\\", "/")).name).strip("._")[:120]
    if not name or not name.lower().endswith(ALLOWED_SUFFIXES):
        raise InvalidInput(f"{filename!r} is not a knowledge-base file; send {', '.join(ALLOWED_SUFFIXES)} files")
    return name


def upload_root(settings: Settings, org_id: str) -> str:
    """The one folder or gs:// prefix that holds an organisation's uploads."""
    if settings.kb_bucket:
        return f"gs://{settings.kb_bucket}/kb/{org_id}/"
    return str(Path(settings.data_dir).resolve() / "uploads" / org_id)


def _upload_store(settings: Settings, org_id: str) -> UploadStore:
    if settings.kb_bucket:
        return BucketUploads(settings.project, settings.kb_bucket, f"kb/{org_id}/")
    return FolderUploads(Path(upload_root(settings, org_id)))


def _store(settings: Settings, org_id: str, uploads: Sequence[Upload], names: list[str]) -> None:
    store = _upload_store(settings, org_id)
    for upload, name in zip(uploads, names, strict=True):
        store.write(name, upload.content)


def store_uploads(services: AppServices, principal: Principal, uploads: Sequence[Upload]) -> list[str]:
    """Store the files for the caller's organisation; returns their stored names. Every name is checked before
    anything is written, so a refused upload leaves nothing behind."""
    check(principal, Capability.ingest)
    if not uploads:
        raise InvalidInput("choose at least one file to upload")
    if len(uploads) > MAX_FILES:
        raise InvalidInput(f"upload at most {MAX_FILES} files at a time (this upload has {len(uploads)})")
    names = [safe_name(upload.filename) for upload in uploads]
    _store(services.settings, principal.org_id, uploads, names)
    for name in names:  # stored: what is indexed of it is in the ingestion report (and a re-index's record)
        audit.record_as(
            services, principal, AuditAction.document_uploaded, doc_id_of(services.settings, principal.org_id, name)
        )
    return names


def doc_id_of(settings: Settings, org_id: str, name: str) -> str:
    """The document id (and citation source) of an uploaded file: `upload:NAME`, or its gs:// URI in a bucket."""
    return f"{upload_root(settings, org_id)}{name}" if settings.kb_bucket else f"upload:{name}"


def display_root(settings: Settings, org_id: str) -> str:
    """What a person is shown for the upload root: never a path of the server."""
    return upload_root(settings, org_id) if settings.kb_bucket else "upload:"


def _remove_failed(settings: Settings, org_id: str, report: IngestReport) -> None:
    """Files that failed for what they are (cannot be parsed, too large) leave the upload root, so the next upload
    does not fail and report them again; a file that failed for a passing reason (the index was down) stays."""
    remove_stored(settings, org_id, [f.path for f in report.failures if f.permanent])


def remove_stored(settings: Settings, org_id: str, doc_ids: Sequence[str]) -> None:
    """Remove uploaded files, named by their document ids, from the upload root (ids outside it are ignored)."""
    if not doc_ids:
        return
    own = doc_id_of(settings, org_id, "")  # `upload:`, or the gs:// root: what an uploaded file's id starts with
    store = _upload_store(settings, org_id)
    for doc_id in doc_ids:
        if doc_id.startswith(own):
            store.remove(doc_id.removeprefix(own))


def hide_root(settings: Settings, org_id: str, text: str) -> str:
    """`text` with the upload folder of the server replaced by the upload name (`upload:NAME`)."""
    if settings.kb_bucket:
        return text
    root = upload_root(settings, org_id)
    return text.replace(f"{root}/", "upload:").replace(root, "upload:")


def _plain(report: IngestReport, settings: Settings, org_id: str) -> IngestReport:
    """The report as a caller sees it: the upload root by its name, no server path in any reason."""
    failures = [f.model_copy(update={"reason": hide_root(settings, org_id, f.reason)}) for f in report.failures]
    return report.model_copy(update={"source": display_root(settings, org_id), "failures": failures})


def ingest_stored(services: AppServices, org_id: str, progress: ProgressFn | None = None) -> IngestReport:
    """Ingest an organisation's upload root (one run per organisation at a time in this process: every run of it
    reads and writes the same root). Files that failed for what they are are then removed from the root."""
    from ingestion.pipeline import ingest_kb  # imported when used: it pulls in the loaders and the chunker

    settings = services.settings
    # Local uploads get the ids `upload:NAME` (never a folder document's); bucket objects keep their gs:// URIs.
    namespace = None if settings.kb_bucket else "upload"
    with services.org_locks.of(org_id):
        report = ingest_kb(services, org_id, upload_root(settings, org_id), progress=progress, namespace=namespace)
        _remove_failed(settings, org_id, report)
    return _plain(report, settings, org_id)


def ingest_uploads(
    services: AppServices, principal: Principal, uploads: Sequence[Upload], progress: ProgressFn | None = None
) -> UploadResult:
    """Store the files and ingest the upload root, in the caller's thread (the UI's Admin tab, with its progress
    bar); the API runs the same two steps as a background job (`assistant.application.ingest_jobs`)."""
    names = store_uploads(services, principal, uploads)
    report = ingest_stored(services, principal.org_id, progress)
    return UploadResult(files=names, source=report.source, report=report)
