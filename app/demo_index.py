"""Indexes the demo help centre and catalogues in the background while `fluxori serve` already answers.

The first start embeds about 1,500 documents (roughly a minute and a half on 2 cores, bound by the embedding model);
later starts only compare fingerprints. Running it beside the server means the UI and the stock/order questions work
at once, and `/readyz` reports the progress under `demo_index`, naming the organisation and the source (no progress
bar: the server's log has one line per request and nothing else). Ctrl-C stops it between batches of documents;
ingestion is incremental, so the next start carries on where this one stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ingestion.models import IngestProgress, IngestReport

if TYPE_CHECKING:
    from ingestion.pipeline import IngestServices

log = logging.getLogger(__name__)


class Stopped(Exception):
    """Raised from the progress callback to end the run between documents."""


class DemoIndexer:
    def __init__(self, services: IngestServices, report: Callable[[str, IngestReport], None]) -> None:
        self.services = services
        self.report = report
        self.status = "starting"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-index", daemon=True)

    def start(self) -> DemoIndexer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the run to end after its current batch (64 chunks at most: a few seconds) and wait for it; the
        thread must not be inside torch when the interpreter exits."""
        self._stop.set()
        self._thread.join(timeout)

    def _progress(self, org: str, source: str) -> Callable[[IngestProgress], None]:
        def progress(event: IngestProgress) -> None:
            if self._stop.is_set():
                raise Stopped
            self.status = f"indexing {org} {source}: {event.done} of {event.total} documents"

        return progress

    def _run(self) -> None:
        from ingestion.demo import ingest_demo

        try:
            ingest_demo(self.services, self._progress, self.report)
            self.status = "done"
        except Stopped:
            self.status = "stopped; the next start carries on"
        except Exception as exc:
            if self._stop.is_set():  # the emulator went away under a run that was told to stop
                return  # the server keeps serving; search simply finds less
            self.status = f"error: {type(exc).__name__}: {exc}"
            log.exception("indexing the demo data failed")
