"""Progress of a run: a callback per document and, for people at a terminal, a tqdm bar counting documents/s."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from ingestion.models import IngestProgress, Outcome, Stage

ProgressCallback = Callable[[IngestProgress], None]


class Ticker:
    def __init__(self, total: int, *, label: str, callback: ProgressCallback | None, show_bar: bool) -> None:
        self.total, self.done, self.callback = total, 0, callback
        self.started = time.perf_counter()
        self.bar = None
        if show_bar:
            from tqdm import tqdm

            # stderr, so `--json`-style output on stdout stays clean; `doc/s` is tqdm's rate display.
            self.bar = tqdm(total=total, desc=label, unit="doc", file=sys.stderr, dynamic_ncols=True, leave=True)

    def __call__(self, doc_id: str, outcome: Outcome) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        if self.callback is not None:
            elapsed = time.perf_counter() - self.started
            self.callback(
                IngestProgress(
                    done=self.done, total=self.total, doc_id=doc_id, outcome=outcome, elapsed_seconds=elapsed
                )
            )

    def chunks(self, doc_id: str, done: int, total: int, stage: Stage = "indexing") -> None:
        """Progress inside one document: read into `total` chunks, or `done` of them embedded and written."""
        if self.bar is not None and stage == "indexing":
            self.bar.set_postfix_str(f"{doc_id}: {done}/{total} chunks", refresh=True)
        if self.callback is not None:
            elapsed = time.perf_counter() - self.started
            self.callback(
                IngestProgress(
                    done=self.done,
                    total=self.total,
                    doc_id=doc_id,
                    outcome=stage,
                    elapsed_seconds=elapsed,
                    chunks_done=done,
                    chunks_total=total,
                )
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
