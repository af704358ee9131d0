"""Knowledge-base ingestion as a background job: the API stores the files, answers at once with a job id, and one
worker thread per process ingests; any instance answers the job's status from Firestore (`domain.ingest_jobs`:
the job's statuses, its heartbeat and how a job whose process died is failed on read).

The worker writes its progress (at most once a second) and, while it runs, touches the jobs still queued behind it.
One thread runs the jobs of a process one after the other (`Services.ingest_worker` is the process's one), and
`uploads.ingest_stored` holds a lock per organisation, so the runs of one organisation (which share one upload
root) never overlap in a process.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from assistant.application.job_records import IngestJob, IngestJobs, JobProgress
from assistant.application.uploads import doc_id_of, hide_root, ingest_stored, store_uploads
from assistant.ports import AppServices
from domain.errors import DomainError
from domain.ingest_jobs import JobStatus
from domain.metrics import INGEST_DURATION, INGEST_JOBS
from domain.orgs import Principal
from domain.store import utcnow
from domain.uploads import Upload
from ingestion.models import IngestProgress

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
HEARTBEAT_QUEUED_SECONDS = 60.0


class IngestWorker:
    """One background thread that runs the queued jobs in order (`Services.ingest_worker` is the process's one,
    which the API and the UI share)."""

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
        INGEST_JOBS.labels(outcome=job.status.value).inc()
        INGEST_DURATION.observe((job.finished_at - job.started_at).total_seconds())
        self.jobs.save(job)
        return job
