"""The repository of background ingestion jobs, `orgs/ORG/ingest_jobs/JOB` (what a job runs and reports is
`assistant.application.ingest_jobs`, which extends `StoredJob` with the files and the run's report).

A job moves queued -> running -> done or failed. Its worker writes it while it runs and touches the jobs queued
behind it, so `updated_at` is a heartbeat. A job whose process died (kill -9, an instance stopped) stops beating:
when it is read after `STALE_AFTER` without a write it is marked failed. That is done on read, not at start,
because another instance may still be running it and only the heartbeat can tell.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Generic, TypeVar

from google.api_core.exceptions import FailedPrecondition
from google.cloud import firestore
from pydantic import BaseModel, Field

from domain.errors import NotFound
from domain.store import Store, utcnow

KEEP_JOBS = timedelta(days=30)
STALE_AFTER = timedelta(minutes=10)
COLLECTION = "ingest_jobs"


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class StoredJob(BaseModel):
    """What every job document holds, whatever its run reports."""

    id: str = Field(exclude=True)  # the document id, not a field of the document
    org_id: str
    status: JobStatus = JobStatus.queued
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    delete_after: datetime


J = TypeVar("J", bound=StoredJob)


class JobRepository(Generic[J]):
    """The typed repository of `orgs/ORG/ingest_jobs/JOB`, read as `model` (a `StoredJob`)."""

    def __init__(self, store: Store, model: type[J]) -> None:
        self.store = store
        self.model = model

    def _ref(self, org_id: str, job_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, COLLECTION).document(job_id)

    def add(self, job: J) -> J:
        self._ref(job.org_id, job.id).set(job.model_dump(mode="python"))
        return job

    def save(self, job: J) -> None:
        job.updated_at = utcnow()
        self._ref(job.org_id, job.id).set(job.model_dump(mode="python"))

    def touch(self, org_id: str, job_id: str) -> None:
        self._ref(org_id, job_id).update({"updated_at": utcnow()})

    def get(self, org_id: str, job_id: str) -> J:
        """The job of this organisation (another organisation's is not found); a job whose process stopped
        beating is marked failed here."""
        ref = self._ref(org_id, job_id)
        snap = ref.get()
        if not snap.exists:
            raise NotFound(f"there is no ingestion job {job_id!r}")
        job = self.model.model_validate((snap.to_dict() or {}) | {"id": job_id})
        if job.status in (JobStatus.queued, JobStatus.running) and utcnow() - job.updated_at > STALE_AFTER:
            now = utcnow()
            job.status, job.finished_at, job.updated_at = JobStatus.failed, now, now
            job.error = "the server running this ingestion stopped before it finished; upload the files again"
            try:  # only if nothing wrote the job since it was read (a slow but live worker wins)
                option = self.store.client.write_option(last_update_time=snap.update_time)
                ref.update(job.model_dump(mode="python"), option=option)
            except FailedPrecondition:
                return self.get(org_id, job_id)
        return job
