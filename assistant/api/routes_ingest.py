"""POST /v1/ingest (admin): upload knowledge-base files and index them for the caller's organisation.

Files go to the knowledge-base bucket under `kb/{org}/` when FLUXORI_KB_BUCKET is set (production: the prefix the
scheduled ingestion job reads, so Cloud Run's disk never holds the only copy), else to `{data_dir}/uploads/{org}/`;
that folder or prefix is then ingested by `ingestion.pipeline.ingest_kb` (imported when called: heavy to import).
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile

from assistant.api.auth import ADMIN_ROLES, require
from assistant.api.errors import ApiError, doc
from assistant.api.schemas import IngestResult
from domain.orgs import Principal

router = APIRouter(prefix="/v1", tags=["admin"])

ALLOWED_SUFFIXES = (".md", ".html", ".htm", ".pdf", ".txt")
MAX_FILES = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(filename: str | None) -> str:
    """A plain file name: no directories (no path traversal), no odd characters, a known extension."""
    name = _UNSAFE.sub("_", Path((filename or "").replace("\\", "/")).name).strip("._")[:120]
    if not name or not name.lower().endswith(ALLOWED_SUFFIXES):
        raise ApiError(
            422,
            "validation_error",
            f"the request is invalid: files: {filename!r} is not a knowledge-base file; "
            f"send {', '.join(ALLOWED_SUFFIXES)} files",
        )
    return name


def _load_ingest() -> Any:
    try:
        from ingestion.pipeline import ingest_kb
    except ImportError as exc:
        raise ApiError(503, "unavailable", f"ingestion is not available on this server ({exc})") from exc
    return ingest_kb


def _report_dict(report: Any) -> dict[str, Any]:
    if hasattr(report, "model_dump"):
        return report.model_dump(mode="json")
    if isinstance(report, dict):
        return report
    return {"result": str(report)}


@router.post(
    "/ingest",
    response_model=IngestResult,
    summary="Upload knowledge-base files and index them (admin)",
    description=(
        "Multipart upload (`files`, one or more .md, .html, .pdf or .txt files). The files are stored for the "
        "caller's organisation and the organisation's uploaded knowledge base is (re)indexed; unchanged files "
        "are skipped by the ingestion pipeline. The total upload size is limited (413 above it)."
    ),
    responses=doc(401, 403, 413, 422, 429, 503),
)
def ingest(
    request: Request,
    principal: Annotated[Principal, Depends(require(*ADMIN_ROLES))],
    files: Annotated[list[UploadFile], File(description="Knowledge-base files")],
) -> IngestResult:
    if not files:
        raise ApiError(422, "validation_error", "the request is invalid: files: send at least one file")
    if len(files) > MAX_FILES:
        raise ApiError(422, "validation_error", f"the request is invalid: files: at most {MAX_FILES} per upload")
    names = [safe_name(f.filename) for f in files]  # refuse the whole upload before writing anything
    ingest_kb = _load_ingest()
    services = request.app.state.services
    source = _store(services.settings, principal.org_id, files, names)
    # Local uploads get the ids `upload:NAME` (never a folder document's); objects keep their gs:// URIs.
    report = ingest_kb(services, principal.org_id, source, namespace=None if services.settings.kb_bucket else "upload")
    return IngestResult(org_id=principal.org_id, files=names, report=_report_dict(report))


def _store(settings: Any, org_id: str, files: list[UploadFile], names: list[str]) -> str | Path:
    """Save the uploads where ingestion reads them; returns that folder or gs:// prefix."""
    if settings.kb_bucket:
        from google.cloud import storage

        bucket = storage.Client(project=settings.project).bucket(settings.kb_bucket)
        prefix = f"kb/{org_id}/"
        for upload, name in zip(files, names, strict=True):
            bucket.blob(prefix + name).upload_from_file(upload.file, rewind=True)  # one object write: atomic
        return f"gs://{settings.kb_bucket}/{prefix}"
    folder = Path(settings.data_dir) / "uploads" / org_id
    folder.mkdir(parents=True, exist_ok=True)
    for upload, name in zip(files, names, strict=True):
        partial = folder / f".{name}.{uuid.uuid4().hex[:8]}.part"
        with partial.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        partial.replace(folder / name)  # atomic: ingestion never sees half a file
    return folder
