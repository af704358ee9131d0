"""POST /v1/ingest (admin): upload knowledge-base files and index them for the caller's organisation.

Where the files go and how they are ingested is `assistant.application.uploads`, shared with the UI's Admin tab.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from app.api.deps import Ingester, ServicesDep
from app.api.errors import doc
from app.api.schemas import IngestResult
from assistant.application.uploads import Upload, ingest_uploads

router = APIRouter(prefix="/v1", tags=["admin"])


@router.post(
    "/ingest",
    response_model=IngestResult,
    summary="Upload knowledge-base files and index them (admin)",
    description=(
        "Multipart upload (`files`, one or more .md, .html, .pdf or .txt files). The files are stored for the "
        "caller's organisation and the organisation's uploaded knowledge base is (re)indexed; unchanged files "
        "are skipped by the ingestion pipeline. The total upload size is limited (413 above it)."
    ),
    responses=doc(401, 403, 413, 422, 429),
)
def ingest(
    principal: Ingester,
    services: ServicesDep,
    files: Annotated[list[UploadFile], File(description="Knowledge-base files")],
) -> IngestResult:
    uploads = [Upload(filename=f.filename, content=f.file) for f in files]
    result = ingest_uploads(services, principal, uploads)
    return IngestResult(org_id=principal.org_id, files=result.files, report=result.report.model_dump(mode="json"))
