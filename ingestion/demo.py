"""The demo knowledge base (`ingestion/demo_kb/`, shipped as package data) and catalogues, for every demo org.

`fluxori serve` runs `ingest_demo` in the background after seeding (`app/demo_index.py`); on a second start
nothing has changed and it only compares fingerprints (about a second), so it is safe to call on every start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from domain.demo import DEMO_ORGS
from ingestion.models import IngestReport
from ingestion.pipeline import IngestServices, ProgressFn, ingest_catalog, ingest_kb

DEMO_KB_PACKAGE = "ingestion"
DEMO_KB_FOLDER = "demo_kb"
# Ids `demo:channels/connect-takealot.md`: the same wherever the package is installed.
DEMO_NAMESPACE = "demo"


@contextmanager
def demo_kb_folder() -> Iterator[Path]:
    """The demo help centre as a real folder, also when the package is installed zipped (extracted meanwhile)."""
    with resources.as_file(resources.files(DEMO_KB_PACKAGE) / DEMO_KB_FOLDER) as folder:
        yield folder


def ingest_demo(
    services: IngestServices,
    progress_for: Callable[[str, str], ProgressFn | None] = lambda org, source: None,
    on_report: Callable[[str, IngestReport], None] = lambda org, report: None,
    *,
    kb_only: bool = False,
    show_progress_bar: bool = False,
) -> dict[str, IngestReport]:
    """Ingest the demo knowledge base (and, unless `kb_only`, the catalogue) of each demo organisation; one merged
    report per org, also passed to `on_report` as each org finishes. `progress_for(org, source)` gives the progress
    callback of one source ("help centre" or "catalogue")."""
    reports: dict[str, IngestReport] = {}
    with demo_kb_folder() as folder:
        for org in DEMO_ORGS:
            report = ingest_kb(
                services,
                org.id,
                folder,
                progress=progress_for(org.id, "help centre"),
                show_progress_bar=show_progress_bar,
                namespace=DEMO_NAMESPACE,
            )
            if not kb_only:
                catalog = ingest_catalog(
                    services, org.id, progress=progress_for(org.id, "catalogue"), show_progress_bar=show_progress_bar
                )
                report = report.merge(catalog).model_copy(update={"source": f"{DEMO_KB_FOLDER} + catalog"})
            reports[org.id] = report
            on_report(org.id, report)
    return reports
