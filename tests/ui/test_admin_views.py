"""The Admin tab's documents on a phone: the compact table is made from the full table's rows (same documents,
same order, so a picked row is the same document in both) and has no more than its few columns."""

from __future__ import annotations

from datetime import UTC, datetime

import gradio as gr
import pytest

from assistant.application.documents import DocumentInfo
from domain.ingest_records import record_key
from domain.orgs import Principal, Role
from ui.admin_tab import AdminTab
from ui.admin_views import COMPACT_COLUMNS, DOCUMENT_COLUMNS, compact_rows, document_rows

WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
DOCUMENTS = [
    DocumentInfo(
        doc_id="demo:orders/vat-on-orders.md",
        name="orders/vat-on-orders.md",
        title="VAT on Orders",
        source="demo",
        status="indexed",
        size_bytes=2048,
        chunks=4,
        last_indexed=WHEN,
    ),
    DocumentInfo(
        doc_id="upload:untitled.txt",
        name="untitled.txt",
        title="",
        source="upload",
        status="pending",
        chunks=1,
        last_indexed=WHEN,
    ),
]


def test_compact_rows_are_the_same_documents_in_fewer_columns() -> None:
    rows = document_rows(DOCUMENTS)
    compact = compact_rows(rows)
    assert len(COMPACT_COLUMNS) <= 3 < len(DOCUMENT_COLUMNS)
    assert len(compact) == len(rows) == len(DOCUMENTS)
    assert all(len(row) == len(COMPACT_COLUMNS) for row in compact)
    assert compact == [
        ["VAT on Orders · orders/vat-on-orders.md", "2026-12-01 09:30"],
        ["untitled.txt", "pending · 2026-12-01 09:30"],  # no title: its name alone; not indexed yet: said so
    ]
    assert compact_rows([]) == []


def test_one_refresh_fills_both_tables_and_a_row_of_either_picks_the_same_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("ui.admin_tab.app_documents.list_documents", lambda services, principal: DOCUMENTS)
    with gr.Blocks() as blocks:
        tab = AdminTab(services=None, key_state=gr.State(None))
        tab.wire()
    principal = Principal(org_id="bergveld", role=Role.admin, key_id="k1")
    outputs = tab._list(principal, None)
    assert len(outputs) == len(tab.list_outputs)
    table, compact, _choice, doc_ids, status = outputs
    assert list(table.columns) == DOCUMENT_COLUMNS and list(compact.columns) == COMPACT_COLUMNS
    assert compact.values.tolist() == compact_rows(table.values.tolist())
    assert doc_ids == [d.doc_id for d in DOCUMENTS] and status == "2 document(s) in the index."

    # Both tables send their select event to the one handler, which reads the row against the same ids.
    wired = {target for fn in blocks.fns.values() if fn.fn == tab.select_row for target in fn.targets}
    assert wired == {(tab.table._id, "select"), (tab.compact._id, "select")}
    picked = gr.SelectData(tab.compact, {"index": [1, 0], "value": "untitled.txt"})
    assert tab.select_row(doc_ids, picked) == record_key("kb", "upload:untitled.txt")
