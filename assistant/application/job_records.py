"""The typed record of a knowledge-base ingestion job: its files and what the run did with each, its progress and
its report (the statuses and the repository are `domain.ingest_jobs`; the worker is `ingest_jobs`)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from domain.ingest_jobs import KEEP_JOBS, JobRepository, StoredJob
from domain.store import Store, utcnow
from ingestion.models import IngestReport, Outcome


class JobFile(BaseModel):
    """One file of the upload and what its run did with it (`None` until the run reaches it)."""

    name: str
    outcome: Outcome | None = None
    reason: str | None = None
    chunks_done: int | None = Field(default=None, description="Its chunks written so far, while it is indexed")
    chunks_total: int | None = Field(default=None, description="Its chunks, once it is read")


class JobProgress(BaseModel):
    done: int = Field(default=0, description="Documents of the upload root handled so far")
    total: int | None = Field(default=None, description="Documents in the upload root (known once the run starts)")
    current: str | None = Field(default=None, description="The document being handled: `upload:NAME`")
    chunks_done: int | None = None
    chunks_total: int | None = None


class IngestJob(StoredJob):
    files: list[JobFile]
    progress: JobProgress = Field(default_factory=JobProgress)
    report: IngestReport | None = None


class IngestJobs(JobRepository[IngestJob]):
    def __init__(self, store: Store) -> None:
        super().__init__(store, IngestJob)

    def create(self, org_id: str, names: list[str]) -> IngestJob:
        now = utcnow()
        job = IngestJob(
            id=uuid.uuid4().hex,
            org_id=org_id,
            files=[JobFile(name=n) for n in names],
            created_at=now,
            updated_at=now,
            delete_after=now + KEEP_JOBS,
        )
        return self.add(job)
