"""POST /v1/ingest and GET /v1/ingest/{job_id} (admin): upload knowledge-base files, index them in the background
for the caller's organisation, and follow the job.

Where the files go and how they are ingested is `assistant.application.uploads`, shared with the UI's Admin tab;
the job (its record in Firestore and the worker thread) is `assistant.application.ingest_jobs`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Response, UploadFile, status

from app.api.deps import Ingester, IngestWorkerDep
from app.api.errors import doc
from app.api.schemas import IngestJobOut
from domain.uploads import Upload

router = APIRouter(prefix="/v1", tags=["admin"])


@router.post(
    "/ingest",
    response_model=IngestJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload knowledge-base files and index them in the background (admin)",
    description=(
        "Multipart upload (`files`, one or more .md, .html, .pdf or .txt files). The files are stored for the "
        "caller's organisation and a job (re)indexes the organisation's uploaded knowledge base in the background; "
        "unchanged files are skipped. Answers `202` with the job at once (`Location` is its status URL). The total "
        "upload size is limited (413 above it). A file that cannot be parsed or is over the size limit is reported "
        "by its job and removed from the uploads, so later jobs do not report it again."
    ),
    responses=doc(401, 403, 413, 422, 429),
)
def ingest(
    principal: Ingester,
    worker: IngestWorkerDep,
    response: Response,
    files: Annotated[list[UploadFile], File(description="Knowledge-base files")],
) -> IngestJobOut:
    job = worker.submit(principal, [Upload(filename=f.filename, content=f.file) for f in files])
    response.headers["Location"] = f"/v1/ingest/{job.id}"
    return IngestJobOut.of(job)


@router.get(
    "/ingest/{job_id}",
    response_model=IngestJobOut,
    summary="An ingestion job: status, per-file progress and report (admin)",
    description=(
        "`status` is queued, running, done or failed. `progress` counts the documents of the organisation's upload "
        "root and names the one being indexed; `files` says what happened to each file of this upload; `report` "
        "is the run's report once done. A job of another organisation is 404."
    ),
    responses=doc(401, 403, 404, 422, 429),
)
def ingest_job(
    principal: Ingester,
    worker: IngestWorkerDep,
    job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The id `POST /v1/ingest` answered")],
) -> IngestJobOut:
    return IngestJobOut.of(worker.jobs.get(principal.org_id, job_id))
