"""Admin tab: upload knowledge-base files and watch their ingestion; grant AI credits.

Both go through the application layer (`assistant.application.uploads` and `.credits`), the same code the API
calls: the same accepted files, the same folder or bucket per organisation, the same grant rules.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from pathlib import Path

import gradio as gr

from assistant.application import credits as app_credits
from assistant.application.policy import Capability, roles_for
from assistant.application.uploads import ALLOWED_SUFFIXES, Upload, ingest_uploads
from assistant.ports import AppServices
from domain.credits import credits_text
from domain.errors import ContentionError, DomainError
from ingestion.models import IngestProgress, IngestReport
from ui.session import Refusal, friendly_error, require

# Gradio finds the progress tracker by its default value; one shared instance is how its docs use it.
PROGRESS = gr.Progress()


def report_markdown(report: IngestReport, source: str) -> str:
    counts = " · ".join(
        f"**{name}** {getattr(report, name)}" for name in ("added", "updated", "unchanged", "deleted", "failed")
    )
    lines = [f"Ingestion finished: {counts}"]
    if report.ignored:
        lines.append(f"{report.ignored} file(s) ignored (a type no loader reads).")
    for failure in report.failures[:20]:
        lines.append(f"- ⚠ `{failure.path}`: {failure.reason}")
    lines.append(f"_Uploads: `{source}`_")
    return "\n\n".join(lines)


class AdminTab:
    def __init__(self, services: AppServices, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
        with gr.Group():
            gr.Markdown("### Knowledge base\nUpload help-centre articles (Markdown, HTML, text or PDF).")
            self.files = gr.File(
                file_count="multiple", file_types=list(ALLOWED_SUFFIXES), label="KB files", elem_id="admin-files"
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
            principal = require(self.services, key, roles_for(Capability.credits_grant))
            if amount is None:
                raise Refusal("Enter a number of credits.")
            granted = app_credits.grant(self.services, principal, float(amount), grant_key, note or "")
        except Exception as exc:  # shown as a message, never a traceback
            # Keep the key only when the outcome is unknown (a retry must not grant twice); a refusal wrote nothing.
            unknown = not isinstance(exc, (Refusal, DomainError)) or isinstance(exc, ContentionError)
            return f"⚠ {friendly_error(exc)}", grant_key if unknown else None
        text = (
            f"Granted {credits_text(granted.entry.amount_mc)} to `{principal.org_id}`. "
            f"Balance now {credits_text(granted.balance_mc)}."
        )
        return text, None  # the next grant gets a fresh key

    def run_ingest(self, files: list[str] | None, key: str, progress: gr.Progress = PROGRESS) -> str:
        try:
            principal = require(self.services, key, roles_for(Capability.ingest))
            paths = [Path(str(f)) for f in (files or [])]
            if not paths:
                raise Refusal("Choose one or more files to upload first.")
            progress(0, desc="Indexing")

            def on_progress(event: IngestProgress) -> None:
                progress((event.done, event.total or 1), desc=f"{event.doc_id}: {event.outcome}", unit="documents")

            with ExitStack() as stack:
                uploads = [Upload(path.name, stack.enter_context(path.open("rb"))) for path in paths]
                result = ingest_uploads(self.services, principal, uploads, progress=on_progress)
        except Exception as exc:
            return f"⚠ {friendly_error(exc)}"
        return report_markdown(result.report, result.source)
