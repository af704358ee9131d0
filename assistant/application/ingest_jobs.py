"""Knowledge-base ingestion as a background job: the API stores the files, answers at once with a job id, and one
worker thread per process ingests; any instance answers the job's status from Firestore (`orgs/ORG/ingest_jobs`).

A job moves queued -> running -> done or failed. The worker writes its progress (at most once a second) and, while
it runs, touches the jobs still queued behind it, so `updated_at` is a heartbeat. A job whose process died (kill -9,
an instance stopped) stops beating: when it is read after `STALE_AFTER` without a write it is marked failed. That
is done on read, not at start, because another instance may still be running it and only the heartbeat can tell.
One thread runs the jobs of a process one after the other, and `uploads.ingest_stored` holds a lock per
organisation, so the runs of one organisation (which share one upload root) never overlap in a process.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
import weakref
from datetime import datetime, timedelta
from enum import StrEnum

from google.api_core.exceptions import FailedPrecondition
from google.cloud import firestore
from pydantic import BaseModel, Field

from assistant.application.uploads import Upload, doc_id_of, hide_root, ingest_stored, store_uploads
from assistant.ports import AppServices
from domain.errors import DomainError, NotFound
from domain.orgs import Principal
from domain.store import Store, utcnow
from ingestion.models import IngestProgress, IngestReport, Outcome

log = logging.getLogger(__name__)

KEEP_JOBS = timedelta(days=30)
STALE_AFTER = timedelta(minutes=10)
PROGRESS_EVERY_SECONDS = 1.0
HEARTBEAT_QUEUED_SECONDS = 60.0


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


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


class IngestJob(BaseModel):
    id: str = Field(exclude=True)  # the document id, not a field of the document
    org_id: str
    status: JobStatus = JobStatus.queued
    files: list[JobFile]
    progress: JobProgress = Field(default_factory=JobProgress)
    report: IngestReport | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    delete_after: datetime


class IngestJobs:
    """The typed repository of `orgs/ORG/ingest_jobs/JOB`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _ref(self, org_id: str, job_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "ingest_jobs").document(job_id)

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
        self._ref(org_id, job.id).set(job.model_dump(mode="python"))
        return job

    def save(self, job: IngestJob) -> None:
        job.updated_at = utcnow()
        self._ref(job.org_id, job.id).set(job.model_dump(mode="python"))

    def touch(self, org_id: str, job_id: str) -> None:
        self._ref(org_id, job_id).update({"updated_at": utcnow()})

    def get(self, org_id: str, job_id: str) -> IngestJob:
        """The job of this organisation (another organisation's is not found); a job whose process stopped
        beating is marked failed here."""
        ref = self._ref(org_id, job_id)
        snap = ref.get()
        if not snap.exists:
            raise NotFound(f"there is no ingestion job {job_id!r}")
        job = IngestJob.model_validate((snap.to_dict() or {}) | {"id": job_id})
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


class IngestWorker:
    """One background thread per process that runs the queued jobs in order (`worker_for` gives the one of a
    `Services`, which the API and the UI share)."""

    def __init__(self, services: AppServices) -> None:
        self.services = services
        self.jobs = IngestJobs(services.store)
        self._queue: queue.Queue[IngestJob] = queue.Queue()
        self._queued: dict[str, IngestJob] = {}
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, principal: Principal, uploads: list[Upload]) -> IngestJob:
        """Store the files (checked first: a refused upload stores nothing and makes no job) and queue the run."""
        names = store_uploads(self.services, principal, uploads)
        job = self.jobs.create(principal.org_id, names)
        with self._guard:
            self._queued[job.id] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="ingest-worker", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            with self._guard:
                self._queued.pop(job.id, None)
            try:
                self.run(job)
            except Exception:  # the job records its own failure; the worker lives on for the next one
                log.exception("ingestion job %s could not record its end", job.id)
            finally:
                self._queue.task_done()

    def _touch_queued(self) -> None:
        with self._guard:
            waiting = list(self._queued.values())
        for job in waiting:
            self.jobs.touch(job.org_id, job.id)

    def run(self, job: IngestJob) -> IngestJob:
        settings = self.services.settings
        by_doc = {doc_id_of(settings, job.org_id, f.name): f for f in job.files}
        job.status, job.started_at = JobStatus.running, utcnow()
        self.jobs.save(job)
        last_write, last_touch = 0.0, time.monotonic()

        def on_progress(event: IngestProgress) -> None:
            nonlocal last_write, last_touch
            file = by_doc.get(event.doc_id)
            if file is not None:
                if event.outcome == "read" or event.outcome == "indexing":
                    file.chunks_done, file.chunks_total = event.chunks_done, event.chunks_total
                else:
                    file.outcome = event.outcome
            job.progress = JobProgress(
                done=event.done,
                total=event.total,
                current=event.doc_id,
                chunks_done=event.chunks_done,
                chunks_total=event.chunks_total,
            )
            now = time.monotonic()
            try:  # progress is best effort: a failed write must not stop the run it reports on
                # Every step of this upload's own files is written (there are few); the others' at most once a second.
                own_step = file is not None and event.outcome != "indexing"
                if own_step or now - last_write >= PROGRESS_EVERY_SECONDS or event.done == event.total:
                    last_write = now
                    self.jobs.save(job)
                if now - last_touch >= HEARTBEAT_QUEUED_SECONDS:
                    last_touch = now
                    self._touch_queued()
            except Exception as exc:
                log.warning("ingestion job %s: progress not recorded: %r", job.id, exc)

        try:
            report = ingest_stored(self.services, job.org_id, on_progress)
        except DomainError as exc:
            job.status, job.error = JobStatus.failed, hide_root(settings, job.org_id, exc.message)
        except Exception:
            log.exception("ingestion job %s failed", job.id)
            job.status, job.error = JobStatus.failed, "the ingestion failed on the server; it was logged, try again"
        else:
            reasons = {f.path: f.reason for f in report.failures}
            for doc_id, file in by_doc.items():
                file.reason = reasons.get(doc_id)
            job.status, job.report = JobStatus.done, report
            job.progress.current = None
        job.finished_at = utcnow()
        self.jobs.save(job)
        return job


_WORKERS: weakref.WeakKeyDictionary[AppServices, IngestWorker] = weakref.WeakKeyDictionary()
_WORKERS_GUARD = threading.Lock()


def worker_for(services: AppServices) -> IngestWorker:
    """The ingestion worker of `services`: one per process, whether the API or the UI submits the job."""
    with _WORKERS_GUARD:
        if services not in _WORKERS:
            _WORKERS[services] = IngestWorker(services)
        return _WORKERS[services]
