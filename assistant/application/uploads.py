"""Knowledge-base uploads: one list of accepted files, one place per organisation, then incremental ingestion.

The files go to the knowledge-base bucket under `kb/{org}/` when FLUXORI_KB_BUCKET is set (production: the prefix
the scheduled ingestion job reads, so Cloud Run's disk never holds the only copy), else to
`{data_dir}/uploads/{org}/`. That folder or prefix is then ingested as a whole: the pipeline deletes documents that
vanished from the root it ingests, so the root must be the same for every upload (a fresh folder per upload would
delete the earlier ones). A file uploaded again replaces its previous version (same name).
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from assistant.application.policy import Capability, check
from assistant.ports import AppServices
from assistant.settings import Settings
from domain.errors import InvalidInput
from domain.orgs import Principal
from ingestion.loaders import LOADERS
from ingestion.models import IngestProgress, IngestReport

ALLOWED_SUFFIXES: tuple[str, ...] = tuple(LOADERS)  # exactly what the loaders read
MAX_FILES = 50
ProgressFn = Callable[[IngestProgress], None]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content: BinaryIO


@dataclass(frozen=True)
class UploadResult:
    files: list[str]
    source: str
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


def _store(settings: Settings, org_id: str, uploads: Sequence[Upload], names: list[str]) -> str:
    root = upload_root(settings, org_id)
    if settings.kb_bucket:
        from google.cloud.storage import Client

        bucket = Client(project=settings.project).bucket(settings.kb_bucket)
        for upload, name in zip(uploads, names, strict=True):
            bucket.blob(f"kb/{org_id}/{name}").upload_from_file(upload.content, rewind=True)  # one write: atomic
        return root
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    for upload, name in zip(uploads, names, strict=True):
        partial = folder / f".{name}.{uuid.uuid4().hex[:8]}.part"
        with partial.open("wb") as out:
            shutil.copyfileobj(upload.content, out)
        partial.replace(folder / name)  # atomic: ingestion never sees half a file
    return root


def ingest_uploads(
    services: AppServices, principal: Principal, uploads: Sequence[Upload], progress: ProgressFn | None = None
) -> UploadResult:
    """Store the files for the caller's organisation and ingest its upload root. Every name is checked before
    anything is written, so a refused upload leaves nothing behind."""
    check(principal, Capability.ingest)
    if not uploads:
        raise InvalidInput("choose at least one file to upload")
    if len(uploads) > MAX_FILES:
        raise InvalidInput(f"upload at most {MAX_FILES} files at a time (this upload has {len(uploads)})")
    names = [safe_name(upload.filename) for upload in uploads]
    source = _store(services.settings, principal.org_id, uploads, names)
    from ingestion.pipeline import ingest_kb  # imported when used: it pulls in the loaders and the chunker

    # Local uploads get the ids `upload:NAME` (never a folder document's); bucket objects keep their gs:// URIs.
    namespace = None if services.settings.kb_bucket else "upload"
    report = ingest_kb(services, principal.org_id, source, progress=progress, namespace=namespace)
    return UploadResult(files=names, source=source, report=report)
