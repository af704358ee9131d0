"""`fluxori ingest kb|catalog` and `fluxori search` (registered in app.cli)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli_common import KeyOption, clean_errors, console, fail, load_settings
from app.cli_remote import remote
from app.local_firestore import local_firestore
from ingestion.models import IngestReport

ingest_app = typer.Typer(
    help="Load knowledge-base files, products and orders into the search index.", no_args_is_help=True
)

ShardOption = Annotated[
    str | None,
    typer.Option(
        help="Take one share of the corpus: I/N with 0-based I (task I of N), or auto to read "
        "CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT in a Cloud Run job"
    ),
]
OrgOption = Annotated[str, typer.Option(help="Organisation id, e.g. bergveld")]
StrictOption = Annotated[bool, typer.Option(help="Exit with code 3 when any file failed to parse")]


class DocTypeChoice(StrEnum):
    kb = "kb"
    product = "product"
    order = "order"


def print_report(report: IngestReport) -> None:
    title = f"Ingested {report.source} for {report.org_id}"
    if report.shard:
        title += f" (shard {report.shard[0]}/{report.shard[1]})"
    table = Table("added", "updated", "unchanged", "deleted", "failed", "chunks written", "seconds", title=title)
    table.add_row(
        str(report.added),
        str(report.updated),
        str(report.unchanged),
        str(report.deleted),
        str(report.failed),
        str(report.chunks_written),
        f"{report.seconds:.1f}",
    )
    console.print(table)
    notes = []
    if report.chunks_deleted:
        notes.append(f"{report.chunks_deleted} old chunks deleted")
    if report.ignored:
        notes.append(f"{report.ignored} files of other types ignored")
    if report.other_shard:
        notes.append(f"{report.other_shard} documents left to other shards")
    if notes:
        console.print("; ".join(notes) + ".")
    if report.failures:
        failures = Table("path", "reason", title="Not ingested (skipped)")
        for failure in report.failures:
            failures.add_row(failure.path, failure.reason)
        console.print(failures)


def _parse_shard(shard: str | None) -> tuple[int, int] | None:
    from ingestion.sharding import parse_shard

    return parse_shard(shard)


def _finish(report: IngestReport, strict: bool) -> None:
    print_report(report)
    if strict and report.failed:
        raise typer.Exit(3)


@ingest_app.command("kb")
@clean_errors
def ingest_kb_command(
    source: Annotated[str, typer.Argument(help="A folder of .md/.html/.pdf/.txt files, or gs://BUCKET/PREFIX")],
    org: OrgOption,
    shard: ShardOption = None,
    strict: StrictOption = False,
) -> None:
    """Index the knowledge-base files of a folder or Cloud Storage prefix (only what changed since the last run)."""
    from ingestion.pipeline import ingest_kb

    if not source.startswith("gs://"):
        path = Path(source)
        if not path.exists():
            raise fail(f"{source} does not exist: give a folder of knowledge-base files or a gs://bucket/prefix")
        if not path.is_dir():
            raise fail(f"{source} is not a folder: give the folder that holds the knowledge-base files")
    parsed = _parse_shard(shard)
    settings = load_settings()
    from app.wiring import Services

    with local_firestore(settings) as local:
        report = ingest_kb(
            Services(settings, on_write=local.on_write), org, source, shard=parsed, show_progress_bar=True
        )
    _finish(report, strict)


@ingest_app.command("catalog")
@clean_errors
def ingest_catalog_command(org: OrgOption, shard: ShardOption = None) -> None:
    """Index the products (with stock per warehouse) and orders of an organisation (only what changed)."""
    from ingestion.pipeline import ingest_catalog

    parsed = _parse_shard(shard)
    settings = load_settings()
    from app.wiring import Services

    with local_firestore(settings) as local:
        report = ingest_catalog(Services(settings, on_write=local.on_write), org, shard=parsed, show_progress_bar=True)
    _finish(report, strict=False)


@clean_errors
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words")],
    org: Annotated[str | None, typer.Option(help="Organisation id, e.g. bergveld; a --key decides it itself")] = None,
    k: Annotated[int, typer.Option(help="How many results", min=1, max=50)] = 5,
    doc_type: Annotated[DocTypeChoice | None, typer.Option("--type", help="Only kb, product or order")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON")] = False,
    key: KeyOption = None,
) -> None:
    """Search the index of one organisation (hybrid dense + keyword).

    With `fluxori serve` running, the search goes to the server (fast: its index and model are loaded).
    """
    from retrieval.types import SearchHit

    settings = load_settings()
    kind = doc_type.value if doc_type else None
    server = remote(settings, key, org)
    if server is not None:
        found = server.get("/v1/search", q=query, k=k, type=kind)
        hits = [SearchHit.model_validate(hit) for hit in found["hits"]]
        org = org or "your organisation"
    else:
        if not org:
            raise fail("give --org (no server with an API key to ask: start `fluxori serve` or pass --key)", 2)
        from app.wiring import Services

        with local_firestore(settings) as local:
            services = Services(settings, on_write=local.on_write)
            services.orgs.get(org)  # an unknown organisation is one clear line, not an empty result
            hits = services.searcher.search(org, query, k=k, doc_type=kind)
    if as_json:
        rows = [{"rank": rank, **hit.model_dump(mode="json")} for rank, hit in enumerate(hits, 1)]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not hits:
        console.print(f"No results for {query!r} in {org}.")
        return
    table = Table("#", "score", "source", "title", "heading", "snippet", title=f"{query} ({org})", show_lines=True)
    for rank, hit in enumerate(hits, 1):
        snippet = " ".join(hit.text.split())
        table.add_row(
            str(rank),
            f"{hit.score:.4f}",
            hit.source,
            hit.title,
            " > ".join(hit.heading_path),
            snippet[:220] + ("…" if len(snippet) > 220 else ""),
        )
    console.print(table)
