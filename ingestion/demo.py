"""The demo knowledge base (`ingestion/demo_kb/`, shipped as package data) and catalogues, for every demo org.

`fluxori serve` calls `ingest_demo` after seeding; on a second start nothing has changed and it only compares
fingerprints (about a second), so it is safe to call on every start.
"""

from __future__ import annotations

from importlib import resources

from domain.demo import DEMO_ORGS
from ingestion.models import IngestReport
from ingestion.pipeline import IngestServices, ProgressFn, ingest_catalog, ingest_kb

DEMO_KB_PACKAGE = "ingestion"
DEMO_KB_FOLDER = "demo_kb"
# Ids `demo:channels/connect-takealot.md`: the same wherever the package is installed.
DEMO_NAMESPACE = "demo"


def ingest_demo(
    services: IngestServices, progress: ProgressFn | None = None, *, show_progress_bar: bool = False
) -> dict[str, IngestReport]:
    """Ingest the demo knowledge base and the catalogue of each demo organisation; one merged report per org."""
    reports: dict[str, IngestReport] = {}
    # as_file gives a real folder also when the package is installed zipped (extracted for the duration).
    with resources.as_file(resources.files(DEMO_KB_PACKAGE) / DEMO_KB_FOLDER) as folder:
        for org in DEMO_ORGS:
            kb = ingest_kb(
                services,
                org.id,
                folder,
                progress=progress,
                show_progress_bar=show_progress_bar,
                namespace=DEMO_NAMESPACE,
            )
            catalog = ingest_catalog(services, org.id, progress=progress, show_progress_bar=show_progress_bar)
            reports[org.id] = kb.merge(catalog).model_copy(update={"source": f"{DEMO_KB_FOLDER} + catalog"})
    return reports
