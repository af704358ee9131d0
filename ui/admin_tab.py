"""Admin tab: upload knowledge-base files and watch each file's progress; the indexed documents with re-index and
delete (on a phone, a compact table of the same rows); grant AI credits; the latest entries of the audit log. Every
change waits for a second click on a question that says what it will do.

All of it goes through the application layer (`assistant.application.ingest_jobs`, `.documents`, `.credits`,
`.audit`), the code the API calls: an upload here is the same background job as `POST /v1/ingest` (the process's
one worker), whose per-file progress this tab reads back while it runs.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from gradio.events import Dependency

from assistant.application import audit as app_audit
from assistant.application import credits as app_credits
from assistant.application import documents as app_documents
from assistant.application import identity
from assistant.application.policy import Capability, can
from assistant.application.uploads import ALLOWED_SUFFIXES
from domain.audit import AuditEntry
from domain.credits import credits_text
from domain.errors import ContentionError, DomainError
from domain.ingest_jobs import JobStatus
from domain.ingest_records import record_key
from domain.orgs import Principal
from domain.uploads import Upload
from ui.admin_views import (
    COMPACT_COLUMNS,
    DOCUMENT_COLUMNS,
    compact_rows,
    delete_question,
    document_label,
    document_rows,
    grant_question,
    job_markdown,
)
from ui.progress import progress_on
from ui.session import Refusal, UiServices, authenticate, friendly_error, require

# How often an upload's report is read back from its job while it runs.
POLL_SECONDS = 0.5
DEFAULT_GRANT = 100
# Up to this width (phones) the documents show as the compact table, above it as the full one: the same 768 px
# at which `ui.app` starts to make room for sidebars. Whole components are hidden, never columns inside one:
# Gradio's virtual table measures its rows from the columns it lays out, and with columns hidden by CSS it drew
# rows 330 px tall.
PHONE_MAX_PX = 767
AUDIT_COLUMNS = ["When (UTC)", "Action", "Outcome", "Role", "Key", "Target", "Request"]
AUDIT_ROWS = 50
CSS = f"""
@media (max-width: {PHONE_MAX_PX}px) {{ #admin-docs {{ display: none !important; }} }}
@media (min-width: {PHONE_MAX_PX + 1}px) {{ #admin-docs-compact {{ display: none !important; }} }}
"""


class AdminTab:
    def __init__(self, services: UiServices, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
        with gr.Group():
            gr.Markdown("### Upload to the knowledge base\nHelp-centre articles: Markdown, HTML, text or PDF.")
            self.files = gr.File(
                file_count="multiple", file_types=list(ALLOWED_SUFFIXES), label="KB files", elem_id="admin-files"
            )
            self.ingest = gr.Button("Upload and index", variant="primary", elem_id="admin-ingest")
            self.ingest_status = gr.Markdown("", elem_id="admin-ingest-status")
        with gr.Group():
            gr.Markdown("### Indexed documents\nPick a row (or a document below) to re-index or delete it.")
            self.table = gr.Dataframe(
                pd.DataFrame([], columns=DOCUMENT_COLUMNS),
                interactive=False,
                wrap=True,
                max_height=420,
                elem_id="admin-docs",
            )
            # The same rows for a phone (CSS above shows one table or the other); picking a row works on both.
            self.compact = gr.Dataframe(
                pd.DataFrame([], columns=COMPACT_COLUMNS),
                interactive=False,
                wrap=True,
                max_height=420,
                # Shares of the table's width: left to itself, Gradio makes a column as wide as its text up to the
                # whole table, and the second column lay off to the right of a phone's screen.
                column_widths=["62%", "38%"],
                elem_id="admin-docs-compact",
            )
            # Values are opaque record keys; the page never holds a document's id (a folder's is a server path).
            self.choice = gr.Dropdown([], label="Document", allow_custom_value=True, elem_id="admin-doc-choice")
            with gr.Row():
                self.refresh = gr.Button("Refresh", size="sm", elem_id="admin-docs-refresh")
                self.reindex = gr.Button("Re-index", size="sm", elem_id="admin-doc-reindex")
                self.delete = gr.Button("Delete…", size="sm", variant="stop", elem_id="admin-doc-delete")
            with gr.Column(visible=False, elem_id="admin-delete-confirm") as self.delete_row:
                self.delete_text = gr.Markdown("", elem_id="admin-delete-question")
                with gr.Row():
                    self.delete_yes = gr.Button("Delete", variant="stop", size="sm", elem_id="admin-delete-yes")
                    self.delete_no = gr.Button("Cancel", size="sm", elem_id="admin-delete-no")
            self.docs_status = gr.Markdown("", elem_id="admin-docs-status")
        with gr.Group():
            gr.Markdown("### Grant AI credits")
            with gr.Row():
                self.amount = gr.Number(label="Credits", value=DEFAULT_GRANT, elem_id="admin-grant-amount")
                self.note = gr.Textbox(
                    label="Note", placeholder="why (shown in the ledger)", elem_id="admin-grant-note"
                )
            self.grant = gr.Button("Grant…", variant="primary", elem_id="admin-grant")
            with gr.Column(visible=False, elem_id="admin-grant-confirm") as self.grant_row:
                self.grant_text = gr.Markdown("", elem_id="admin-grant-question")
                with gr.Row():
                    self.grant_yes = gr.Button("Confirm", variant="primary", size="sm", elem_id="admin-grant-yes")
                    self.grant_no = gr.Button("Cancel", size="sm", elem_id="admin-grant-no")
            self.grant_status = gr.Markdown("", elem_id="admin-grant-status")
        with gr.Group():
            gr.Markdown("### Audit log\nWho did what: the latest 50 entries, newest first (`GET /v1/audit` pages on).")
            self.audit_table = gr.Dataframe(
                pd.DataFrame([], columns=AUDIT_COLUMNS),
                interactive=False,
                wrap=True,
                max_height=420,
                elem_id="admin-audit",
            )
            self.audit_refresh = gr.Button("Refresh", size="sm", elem_id="admin-audit-refresh")
            self.audit_status = gr.Markdown("", elem_id="admin-audit-status")
        self.audit_outputs = [self.audit_table, self.audit_status]
        # Server-side per session: the listed document ids in table order, the document a delete waits to be
        # confirmed for, and the grant waiting for its Confirm (amount, note and its one idempotency key).
        self.doc_ids = gr.State([])
        self.pending_delete = gr.State(None)
        self.pending_grant = gr.State(None)
        self.list_outputs = [self.table, self.compact, self.choice, self.doc_ids, self.docs_status]

    def wire(self) -> None:
        self.ingest.click(self.run_ingest, [self.files, self.key_state], [self.ingest_status], api_name="ingest").then(
            self.load_documents, [self.key_state, self.choice], self.list_outputs, api_visibility="private"
        )
        self.refresh.click(
            self.refresh_documents, [self.key_state, self.choice], self.list_outputs, api_name="documents"
        )
        for table in (self.table, self.compact):  # row i of either table is document i of the session's list
            table.select(self.select_row, [self.doc_ids], [self.choice], api_visibility="private")
        self.reindex.click(
            self.run_reindex,
            [self.choice, self.key_state, self.doc_ids],
            self.list_outputs,
            api_name="document_reindex",
        )
        self.delete.click(
            self.ask_delete,
            [self.choice, self.key_state, self.doc_ids],
            [self.docs_status, self.delete_row, self.delete_text, self.pending_delete],
            api_name="document_delete",
        )
        self.delete_yes.click(
            self.confirm_delete,
            [self.pending_delete, self.key_state],
            [self.delete_row, self.pending_delete, *self.list_outputs],
            api_name="document_delete_confirm",
        )
        self.delete_no.click(
            self.cancel,
            None,
            [self.docs_status, self.delete_row, self.pending_delete],
            api_name="document_delete_cancel",
        )
        self.grant.click(
            self.ask_grant,
            [self.amount, self.note, self.key_state],
            [self.grant_status, self.grant_row, self.grant_text, self.pending_grant],
            api_name="grant",
        )
        self.grant_yes.click(
            self.confirm_grant,
            [self.pending_grant, self.key_state],
            [self.grant_status, self.grant_row, self.pending_grant, self.amount, self.note],
            api_name="grant_confirm",
            concurrency_limit=1,  # with the idempotency key, a second click can never grant again
        )
        self.grant_no.click(
            self.cancel, None, [self.grant_status, self.grant_row, self.pending_grant], api_name="grant_cancel"
        )
        self.audit_refresh.click(self.refresh_audit, [self.key_state], self.audit_outputs, api_name="audit")

    def after_sign_in(self, event: Dependency) -> None:
        event.then(
            self.load_documents,
            [self.key_state, self.choice],
            self.list_outputs,
            api_visibility="private",
            **progress_on(self.docs_status),  # runs at every sign-in: not on the table (see `progress_on`)
        )
        event.then(
            self.load_audit,
            [self.key_state],
            self.audit_outputs,
            api_visibility="private",
            **progress_on(self.audit_status),
        )

    # Upload ----------------------------------------------------------------------------------------------------
    def run_ingest(self, files: list[str] | None, key: str) -> Iterator[str]:
        """Store the files and queue the job, then show its per-file progress as the worker records it."""
        try:
            principal = require(self.services, key, Capability.ingest)
            paths = [Path(str(f)) for f in (files or [])]
            if not paths:
                raise Refusal("Choose one or more files to upload first.")
            worker = self.services.ingest_worker
            with ExitStack() as stack:
                uploads = [Upload(path.name, stack.enter_context(path.open("rb"))) for path in paths]
                job = worker.submit(principal, uploads)
            shown = job_markdown(job)
            yield shown
            while job.status in (JobStatus.queued, JobStatus.running):
                time.sleep(POLL_SECONDS)
                job = worker.jobs.get(principal.org_id, job.id)
                if (view := job_markdown(job)) != shown:
                    shown = view
                    yield view
        except Exception as exc:
            yield f"⚠ {friendly_error(exc)}"

    # Documents -------------------------------------------------------------------------------------------------
    def _list(self, principal: Principal, selected: str | None, status: str | None = None) -> tuple[Any, ...]:
        documents = app_documents.list_documents(self.services, principal)
        choices = [(document_label(d), record_key("kb", d.doc_id)) for d in documents]
        keep = selected if selected in {value for _, value in choices} else None
        if status is None:
            status = f"{len(documents)} document(s) in the index." if documents else "No documents indexed yet."
        rows = document_rows(documents)
        table = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)
        compact = pd.DataFrame(compact_rows(rows), columns=COMPACT_COLUMNS)
        return table, compact, gr.Dropdown(choices=choices, value=keep), [d.doc_id for d in documents], status

    def load_documents(self, key: str | None, selected: str | None = None) -> tuple[Any, ...]:
        """After a sign-in: the list for an admin; for another role, nothing (not even the last admin's list)."""
        principal = authenticate(self.services, key)
        if principal is None or not can(principal.role, Capability.ingest):
            empty = pd.DataFrame([], columns=DOCUMENT_COLUMNS), pd.DataFrame([], columns=COMPACT_COLUMNS)
            return *empty, gr.Dropdown(choices=[], value=None), [], ""
        return self.refresh_documents(key, selected)

    def refresh_documents(self, key: str | None, selected: str | None = None) -> tuple[Any, ...]:
        try:
            principal = require(self.services, key, Capability.ingest)
            return self._list(principal, selected)
        except Exception as exc:
            return self._list_kept(exc)

    def _list_kept(self, exc: Exception) -> tuple[Any, ...]:
        """The list's outputs as they were (both tables, the document picked, the ids), the failure in its status."""
        return *(gr.skip(),) * (len(self.list_outputs) - 1), f"⚠ {friendly_error(exc)}"

    @staticmethod
    def _doc_id(choice: str | None, doc_ids: list[str]) -> str:
        """The document id behind the dropdown's opaque value, from this session's list only."""
        for doc_id in doc_ids or []:
            if record_key("kb", doc_id) == choice:
                return doc_id
        raise Refusal("Choose a document from the list first (Refresh if it is not there).")

    def select_row(self, doc_ids: list[str], event: gr.SelectData) -> Any:
        index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        if not doc_ids or not 0 <= index < len(doc_ids):
            return gr.skip()
        return record_key("kb", doc_ids[index])

    def run_reindex(self, choice: str | None, key: str, doc_ids: list[str]) -> tuple[Any, ...]:
        try:
            principal = require(self.services, key, Capability.ingest)
            done = app_documents.reindex_document(self.services, principal, self._doc_id(choice, doc_ids))
            return self._list(principal, choice, ("⚠ " if done.outcome == "failed" else "") + done.message)
        except Exception as exc:
            return self._list_kept(exc)

    def ask_delete(self, choice: str | None, key: str, doc_ids: list[str]) -> tuple[Any, ...]:
        try:
            principal = require(self.services, key, Capability.ingest)
            document = app_documents.get_document(self.services, principal, self._doc_id(choice, doc_ids))
        except Exception as exc:
            return f"⚠ {friendly_error(exc)}", gr.Column(visible=False), "", None
        return "", gr.Column(visible=True), delete_question(document), document.doc_id

    def confirm_delete(self, pending: str | None, key: str) -> tuple[Any, ...]:
        if not pending:  # a second click after the first was done: nothing waits for it
            return (gr.skip(),) * (2 + len(self.list_outputs))
        try:
            principal = require(self.services, key, Capability.ingest)
            deleted = app_documents.delete_document(self.services, principal, pending)
            return gr.Column(visible=False), None, *self._list(principal, None, deleted.message)
        except Exception as exc:
            return gr.Column(visible=False), None, *self._list_kept(exc)

    @staticmethod
    def cancel() -> tuple[Any, ...]:
        return "Cancelled: nothing was changed.", gr.Column(visible=False), None

    # Credits ---------------------------------------------------------------------------------------------------
    def ask_grant(self, amount: float | None, note: str, key: str) -> tuple[Any, ...]:
        try:
            principal = require(self.services, key, Capability.credits_grant)
            if amount is None:
                raise Refusal("Enter a number of credits.")
            amount_mc = app_credits.grant_amount_mc(float(amount))
        except Exception as exc:
            return f"⚠ {friendly_error(exc)}", gr.Column(visible=False), "", None
        # One idempotency key per question: however often Confirm is clicked, this grant happens once.
        pending = {"credits": float(amount), "note": note or "", "key": f"ui-{uuid.uuid4().hex}"}
        question = grant_question(amount_mc, identity.org_name(self.services, principal), principal.org_id)
        return "", gr.Column(visible=True), question, pending

    def confirm_grant(self, pending: dict[str, Any] | None, key: str) -> tuple[Any, ...]:
        if not pending:  # already granted (or cancelled): a late second click changes nothing
            return (gr.skip(),) * 5
        try:
            principal = require(self.services, key, Capability.credits_grant)
            granted = app_credits.grant(self.services, principal, pending["credits"], pending["key"], pending["note"])
        except Exception as exc:  # shown as a message, never a traceback
            # Keep the question (and its key) when the outcome is unknown: Confirm again cannot grant twice.
            unknown = not isinstance(exc, (Refusal, DomainError)) or isinstance(exc, ContentionError)
            kept = pending if unknown else None
            return f"⚠ {friendly_error(exc)}", gr.Column(visible=unknown), kept, gr.skip(), gr.skip()
        text = (
            f"Granted {credits_text(granted.entry.amount_mc)} to `{principal.org_id}`. "
            f"Balance now {credits_text(granted.balance_mc)}."
        )
        return text, gr.Column(visible=False), None, DEFAULT_GRANT, ""  # the form starts over

    # Audit log -------------------------------------------------------------------------------------------------
    def load_audit(self, key: str | None) -> tuple[Any, ...]:
        """After a sign-in: the latest entries for an admin; for another role nothing (and no refusal recorded)."""
        principal = authenticate(self.services, key)
        if principal is None or not can(principal.role, Capability.audit):
            return pd.DataFrame([], columns=AUDIT_COLUMNS), ""
        return self.refresh_audit(key)

    def refresh_audit(self, key: str | None) -> tuple[Any, ...]:
        try:
            principal = require(self.services, key, Capability.audit)
            page = app_audit.latest(self.services, principal, limit=AUDIT_ROWS)
        except Exception as exc:
            return gr.skip(), f"⚠ {friendly_error(exc)}"
        count = len(page.entries)
        status = f"The latest {count} entr{'y' if count == 1 else 'ies'}." if count else "No audit entries yet."
        return pd.DataFrame(audit_rows(page.entries), columns=AUDIT_COLUMNS), status


def audit_rows(entries: list[AuditEntry]) -> list[list[str]]:
    """The table's rows: a key by the start of its id (the id is a hash, never the key), the rest as recorded."""
    return [
        [
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            e.action.value,
            e.outcome.value,
            e.role or "—",
            e.actor_key_id[:12] or "—",
            e.target or "—",
            e.request_id or "—",
        ]
        for e in entries
    ]
