"""What the Admin tab shows, as plain functions of the application layer's records (no Gradio here): an upload's
per-file progress and report, the table of indexed documents, the questions that confirm a delete or a grant.

Files are named by their upload names and documents by their path within their source: never a server folder.
"""

from __future__ import annotations

from assistant.application.documents import DocumentInfo
from assistant.application.job_records import IngestJob, JobFile
from domain.credits import credits_text
from domain.ingest_jobs import JobStatus
from ingestion.models import IngestReport

DOCUMENT_COLUMNS = ["Title", "Name", "Source", "Status", "Size", "Chunks", "Last indexed (UTC)"]
# A phone's view of the same rows: few enough columns to fit 390 px without scrolling sideways.
COMPACT_COLUMNS = ["Document", "Indexed (UTC)"]
SOURCE_LABELS = {"upload": "upload", "demo": "demo help centre", "folder": "folder", "bucket": "bucket (gs://)"}
_DONE = {"added": "✓ added", "updated": "✓ updated", "unchanged": "✓ unchanged", "failed": "✗ failed"}


def size_text(size: int | None) -> str:
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def file_status(file: JobFile, job_status: JobStatus) -> str:
    if file.outcome is not None:
        text = _DONE.get(file.outcome, file.outcome)
        if file.chunks_total and file.outcome in ("added", "updated"):
            text += f" ({file.chunks_total} chunk{'' if file.chunks_total == 1 else 's'})"
        if file.reason:
            text += f": {file.reason}"
        return text
    if file.chunks_total is not None:
        return f"indexing: {file.chunks_done or 0} of {file.chunks_total} chunks"
    if job_status is JobStatus.failed:
        return "not indexed"
    return "waiting" if job_status is JobStatus.queued else "reading…"


def report_markdown(report: IngestReport) -> str:
    counts = " · ".join(
        f"**{name}** {getattr(report, name)}" for name in ("added", "updated", "unchanged", "deleted", "failed")
    )
    lines = [f"Ingestion finished: {counts}"]
    if report.ignored:
        lines.append(f"{report.ignored} file(s) ignored (a type no loader reads).")
    return "\n\n".join(lines)


def job_markdown(job: IngestJob) -> str:
    """An upload's report: one row per file with its progress, then the run's counts once it is done."""
    done = sum(f.outcome is not None for f in job.files)
    head = {
        JobStatus.queued: "Waiting for the indexer…",
        JobStatus.running: f"Indexing: {done} of {len(job.files)} file(s) done",
        JobStatus.done: f"Done: {len(job.files)} file(s)",
        JobStatus.failed: f"⚠ The ingestion failed: {job.error or 'unknown reason'}",
    }[job.status]
    rows = [f"| {_cell(f.name)} | {_cell(file_status(f, job.status))} |" for f in job.files]
    parts = [f"**{head}**", "| File | Status |\n|---|---|\n" + "\n".join(rows)]
    if job.status is JobStatus.done and job.report is not None:
        parts.append(report_markdown(job.report))
        if any(f.permanent for f in job.report.failures):
            parts.append("A file that cannot be indexed as it is was removed from the uploads: fix it, upload again.")
    return "\n\n".join(parts)


def document_label(document: DocumentInfo) -> str:
    title = f"{document.title} · " if document.title else ""
    return f"{title}{document.name} ({SOURCE_LABELS[document.source]})"


def document_rows(documents: list[DocumentInfo]) -> list[list[str | int]]:
    return [
        [
            d.title or "—",
            d.name,
            SOURCE_LABELS[d.source],
            d.status,
            size_text(d.size_bytes),
            d.chunks,
            d.last_indexed.strftime("%Y-%m-%d %H:%M"),
        ]
        for d in documents
    ]


def compact_rows(rows: list[list[str | int]]) -> list[list[str]]:
    """The phone's rows, made from the full table's rows (same documents, same order): a row picked in either
    view is the same index into the session's document ids."""
    compact = []
    for row in rows:
        cell = dict(zip(DOCUMENT_COLUMNS, row, strict=True))
        title, name = str(cell["Title"]), str(cell["Name"])
        document = name if title == "—" else f"{title} · {name}"
        when = str(cell["Last indexed (UTC)"])
        compact.append([document, when if cell["Status"] == "indexed" else f"{cell['Status']} · {when}"])
    return compact


def delete_question(document: DocumentInfo) -> str:
    return (
        f"**Delete {_cell(document_label(document))} from the index?** Its {document.chunks} passage(s) stop "
        "appearing in search and answers."
        + (" Its uploaded file is removed too." if document.source == "upload" else "")
    )


def grant_question(amount_mc: int, org_name: str, org_id: str) -> str:
    return f"**Grant {credits_text(amount_mc)} to {org_name} (`{org_id}`)?**"
