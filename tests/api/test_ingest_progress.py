"""An upload's per-file progress as its job records it in Firestore while the run goes (what `GET /v1/ingest/{id}`
and the Admin tab show): the real pipeline, index and emulator."""

from __future__ import annotations

import io

import pytest

from app.wiring import Services
from assistant.application.ingest_jobs import IngestWorker
from assistant.application.job_records import IngestJob
from assistant.application.uploads import store_uploads
from domain.ingest_jobs import JobStatus
from domain.orgs import Role
from domain.uploads import Upload
from tests.api.conftest import make_org


def test_a_multi_file_upload_records_each_files_progress_while_it_runs(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    org, key = make_org(services, role=Role.admin)
    principal = services.api_keys.authenticate(key)
    assert principal is not None
    texts = {
        "tents.md": "# Tent seams\n\nSeal the seams of a canvas tent with wax before the first rains.",
        "boots.md": "# Boot care\n\nDubbin keeps leather hiking boots supple on the Drakensberg trails.",
        "stoves.md": "# Gas stoves\n\nCheck the cartridge valve of a camping stove for leaks with soapy water.",
    }
    worker = IngestWorker(services)  # its thread is not started: the test runs the job itself
    names = store_uploads(services, principal, [Upload(n, io.BytesIO(t.encode())) for n, t in texts.items()])
    job = worker.jobs.create(org, names)
    recorded: list[IngestJob] = []
    save = worker.jobs.save

    def save_and_read_back(saved: IngestJob) -> None:
        save(saved)
        recorded.append(worker.jobs.get(org, saved.id))  # what another instance would read at that moment

    monkeypatch.setattr(worker.jobs, "save", save_and_read_back)
    done = worker.run(job)

    assert done.status is JobStatus.done and {f.outcome for f in done.files} == {"added"}
    running = [j for j in recorded if j.status is JobStatus.running]
    views = [[(f.outcome, f.chunks_done, f.chunks_total) for f in j.files] for j in running]
    distinct = [v for i, v in enumerate(views) if i == 0 or v != views[i - 1]]
    assert len(distinct) >= 3, views  # the start, then at least two per-file updates before the end
    finished = [sum(outcome is not None for outcome, _, _ in view) for view in distinct]
    assert finished == sorted(finished) and finished[0] == 0  # progress only moves forward
    assert any(total is not None and outcome is None for view in distinct for outcome, _, total in view)
