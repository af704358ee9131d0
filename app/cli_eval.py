"""`fluxori eval beir|agent` (registered in app.cli)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from app.cli_common import clean_errors, console, fail, load_settings

if TYPE_CHECKING:
    from retrieval.types import Chunk

eval_app = typer.Typer(help="Measure retrieval (BEIR datasets) and the agent (JSONL dev sets).", no_args_is_help=True)


def passage_chunks(corpus: dict[str, dict[str, str]]) -> list[Chunk]:
    """Each BEIR document as ingestion would cut a plain-text file of it: the product's chunker, one organisation."""
    from ingestion.chunking import chunk_document
    from ingestion.models import LoadedDocument, Part
    from retrieval.beir import EVAL_ORG

    return [
        chunk
        for doc_id, doc in corpus.items()
        for chunk in chunk_document(
            LoadedDocument(title=doc["title"], parts=[Part(text=doc["text"], markdown=False)]),
            org_id=EVAL_ORG,
            doc_type="kb",
            doc_id=doc_id,
            source=doc_id,
        )
    ]


@eval_app.command("beir")
@clean_errors
def beir_command(
    directory: Annotated[Path, typer.Argument(help="A BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/)")],
    split: Annotated[str, typer.Option(help="Which qrels/SPLIT.tsv to score")] = "test",
    limit_docs: Annotated[
        int | None, typer.Option("--limit-docs", help="Index only N documents (judged ones first)", min=1)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Also print the report as one JSON line")] = False,
    passages: Annotated[
        bool,
        typer.Option(
            "--passages/--whole",
            help="Cut each document with the product's chunker and rank documents by their best passage "
            "(--whole: each document is one chunk)",
        ),
    ] = False,
    whole_bm25: Annotated[
        bool,
        typer.Option(
            "--whole-bm25",
            help="Passages for the dense leg, BM25 over whole documents, fused per document (implies --passages)",
        ),
    ] = False,
) -> None:
    """Index a BEIR corpus with the configured embedder, hnswlib and BM25, then score bm25, dense and hybrid.

    Prints nDCG@10, Recall@100 and MRR@10 per pipeline, indexing throughput and query latency; the last line is
    `ndcg@10=0.XXXX` for the hybrid pipeline. The chunk store is in memory and the vector index is temporary (the
    product's Firestore and index are not touched); embeddings are cached under FLUXORI_DATA_DIR as usual.
    """
    from tqdm import tqdm

    from app.wiring_retrieval import build_embedder
    from retrieval.beir import (
        DatasetError,
        EvalReport,
        index_corpus,
        load_dataset,
        percentiles,
        rank_queries,
        score_runs,
        to_chunks,
    )
    from retrieval.chunk_store import InMemoryChunkStore
    from retrieval.dense_local import LocalVectorIndex
    from retrieval.fusion import FUSIONS
    from retrieval.hybrid import MAX_K, HybridConfig, HybridSearchService

    settings = load_settings()
    try:
        dataset = load_dataset(directory, split, limit_docs)
    except DatasetError as exc:
        raise fail(str(exc), 2) from None
    embedder = build_embedder(settings)
    passages = passages or whole_bm25
    chunks = passage_chunks(dataset.corpus) if passages else to_chunks(dataset.corpus)
    whole_chunks = to_chunks(dataset.corpus) if whole_bm25 else []
    with tempfile.TemporaryDirectory(prefix="fluxori-beir-") as tmp:

        def new_service(folder: str) -> HybridSearchService:
            index = LocalVectorIndex(Path(tmp) / folder, dim=embedder.dim, model=embedder.name)
            return HybridSearchService(
                InMemoryChunkStore(), embedder, index, HybridConfig(FUSIONS[settings.search_fusion])
            )

        service = new_service("index")
        whole = new_service("whole") if whole_chunks else None  # its BM25 leg ranks whole documents
        with tqdm(total=len(chunks) + len(whole_chunks), desc="indexing", unit="chunk", dynamic_ncols=True) as bar:
            index_seconds = index_corpus(service, chunks, progress=bar.update)
            if whole is not None:
                index_seconds += index_corpus(whole, whole_chunks, progress=bar.update)
        with tqdm(total=len(dataset.queries), desc="querying", unit="query", dynamic_ncols=True) as bar:
            depth = MAX_K if passages else 100
            runs, timings = rank_queries(service, dataset.queries, 100, bar.update, depth, whole)
    report = EvalReport(
        len(dataset.corpus), len(dataset.queries), index_seconds, embedder.misses, len(chunks) + len(whole_chunks)
    )
    report.metrics = score_runs(runs, dataset.qrels)
    report.latency_ms = {name: percentiles(samples) for name, samples in timings.items()}

    table = Table(title=f"{directory.name} ({split}): {report.documents} documents, {report.queries} queries")
    for column in ("pipeline", "nDCG@10", "Recall@100", "MRR@10"):
        table.add_column(column, justify="left" if column == "pipeline" else "right")
    for label, values in report.metrics.items():
        table.add_row(label, *(f"{values[m]:.4f}" for m in ("ndcg@10", "recall@100", "mrr@10")))
    console.print(table)
    console.print(
        f"indexing: {report.docs_per_second:.1f} docs/s ({report.documents} docs in {report.index_seconds:.1f}s, "
        f"{report.chunks} chunks: {report.embedded} embedded, "
        f"{report.chunks - report.embedded} from the embedding cache)",
        highlight=False,
    )
    for name, values in report.latency_ms.items():
        console.print(f"latency {name}: p50 {values['p50']:.2f} ms, p95 {values['p95']:.2f} ms", highlight=False)
    if as_json:
        print(json.dumps(report.as_dict()))
    print(f"ndcg@10={report.metrics['hybrid']['ndcg@10']:.4f}")
