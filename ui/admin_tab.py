"""Admin tab: upload knowledge-base files and watch their ingestion; grant AI credits.

Uploads are copied into one folder per organisation (`<data_dir>/uploads/<org>/kb`) and that folder is ingested.
The ingestion pipeline deletes documents that vanished from the folder it ingests, so the folder must be stable:
a fresh temporary folder per upload would delete every earlier upload. Files uploaded again replace their
previous version (same name), and the demo KB (another folder) is never touched.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from domain.credits import MC_PER_CREDIT, credits_text
from domain.errors import ContentionError, DomainError
from domain.orgs import Role
from ui.session import Refusal, friendly_error, require

KB_FILE_TYPES = [".md", ".markdown", ".html", ".htm", ".txt", ".pdf"]
MAX_FILES = 50
MAX_GRANT_CREDITS = 1_000_000
# Gradio finds the progress tracker by its default value; one shared instance is how its docs use it.
PROGRESS = gr.Progress()
SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def upload_folder(services: Any, org_id: str) -> Path:
    return Path(services.settings.data_dir).resolve() / "uploads" / org_id / "kb"


def safe_name(path: str) -> str:
    """The uploaded file's own name, reduced to harmless characters (no directories, no hidden files)."""
    name = SAFE_NAME.sub("_", Path(path).name).strip(" .") or "upload"
    return name


def report_markdown(report: Any, folder: Path) -> str:
    counts = " · ".join(
        f"**{name}** {getattr(report, name, 0)}" for name in ("added", "updated", "unchanged", "deleted", "failed")
    )
    lines = [f"Ingestion finished: {counts}"]
    ignored = getattr(report, "ignored", 0)
    if ignored:
        lines.append(f"{ignored} file(s) ignored (a type no loader reads).")
    for failure in getattr(report, "failures", [])[:20]:
        lines.append(f"- ⚠ `{failure.path}`: {failure.reason}")
    lines.append(f"_Folder: `{folder}`_")
    return "\n\n".join(lines)


class AdminTab:
    def __init__(self, services: Any, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
        with gr.Group():
            gr.Markdown("### Knowledge base\nUpload help-centre articles (Markdown, HTML, text or PDF).")
            self.files = gr.File(
                file_count="multiple", file_types=KB_FILE_TYPES, label="KB files", elem_id="admin-files"
            )
            self.ingest = gr.Button("Upload and index", variant="primary", elem_id="admin-ingest")
            self.ingest_status = gr.Markdown("", elem_id="admin-ingest-status")
        with gr.Group():
            gr.Markdown("### Grant AI credits")
            with gr.Row():
                self.amount = gr.Number(label="Credits", value=100, elem_id="admin-grant-amount")
                self.note = gr.Textbox(
                    label="Note", placeholder="why (shown in the ledger)", elem_id="admin-grant-note"
                )
            self.grant = gr.Button("Grant", variant="primary", elem_id="admin-grant")
            self.grant_status = gr.Markdown("", elem_id="admin-grant-status")
        # The idempotency key of the grant being prepared: a retry of the same submission reuses it (never two
        # grants), and it is replaced after each success so that the next grant is a new one.
        self.grant_key = gr.State(None)

    def wire(self) -> None:
        self.ingest.click(self.run_ingest, [self.files, self.key_state], [self.ingest_status], api_name="ingest")
        self.grant.click(
            self.run_grant,
            [self.amount, self.note, self.key_state, self.grant_key],
            [self.grant_status, self.grant_key],
            api_name="grant",
        )

    def run_grant(self, amount: float | None, note: str, key: str, grant_key: str | None) -> tuple[str, str | None]:
        grant_key = grant_key or f"ui-{uuid.uuid4().hex}"
        try:
            principal = require(self.services, key, [Role.admin])
            if amount is None or not 0 < float(amount) <= MAX_GRANT_CREDITS:
                raise Refusal(f"Enter a number of credits above 0 and at most {MAX_GRANT_CREDITS:,}.")
            amount_mc = round(float(amount) * MC_PER_CREDIT)
            if amount_mc <= 0:
                raise Refusal("Enter at least 0.001 credits.")
            entry = self.services.credits.grant(principal.org_id, amount_mc, grant_key, (note or "").strip()[:200])
        except Exception as exc:  # shown as a message, never a traceback
            # Keep the key only when the outcome is unknown (a retry must not grant twice); a refusal wrote nothing.
            unknown = not isinstance(exc, (Refusal, DomainError)) or isinstance(exc, ContentionError)
            return f"⚠ {friendly_error(exc)}", grant_key if unknown else None
        text = (
            f"Granted {credits_text(entry.amount_mc)} to `{principal.org_id}`. "
            f"Balance now {credits_text(entry.balance_after_mc)}."
        )
        return text, None  # the next grant gets a fresh key

    def run_ingest(self, files: list[str] | None, key: str, progress: gr.Progress = PROGRESS) -> str:
        try:
            principal = require(self.services, key, [Role.admin])
            paths = [str(f) for f in (files or [])]
            if not paths:
                raise Refusal("Choose one or more files to upload first.")
            if len(paths) > MAX_FILES:
                raise Refusal(f"Upload at most {MAX_FILES} files at a time (you chose {len(paths)}).")
            try:
                from ingestion.pipeline import ingest_kb  # built alongside the UI; imported when first used
            except ImportError as exc:
                raise Refusal("Knowledge-base ingestion is not available on this server yet.") from exc
            folder = upload_folder(self.services, principal.org_id)
            folder.mkdir(parents=True, exist_ok=True)
            for path in paths:
                suffix = Path(path).suffix.lower()
                if suffix not in KB_FILE_TYPES:
                    raise Refusal(f"{Path(path).name}: only {', '.join(KB_FILE_TYPES)} files can be indexed.")
                shutil.copyfile(path, folder / safe_name(path))
            progress(0, desc="Indexing")

            def on_progress(event: Any) -> None:
                done, total = getattr(event, "done", 0), getattr(event, "total", 0) or 1
                desc = f"{getattr(event, 'doc_id', '')}: {getattr(event, 'outcome', '')}"
                progress((done, total), desc=desc, unit="documents")

            report = ingest_kb(self.services, principal.org_id, str(folder), progress=on_progress, namespace="upload")
        except Exception as exc:
            return f"⚠ {friendly_error(exc)}"
        return report_markdown(report, folder)
