"""What the billing panel shows, as plain functions of the application layer's records (no event handlers
here): pack labels, the low-balance banner, the PayFast form, the invoice and purchase tables (escaped HTML that
becomes labelled cards on a phone), and an invoice's PDF as a download."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.billing.checkout import Checkout
from assistant.billing.documents import invoice_pdf, money
from assistant.billing.packs import Pack
from assistant.billing.views import InvoiceItem, PurchaseView
from domain.credits import SAST, credits_text
from domain.purchases import Invoice

RECENT_PURCHASES = 10
PDF_FOLDER = "fluxori-invoices"  # under the temporary directory, which Gradio may serve files from
PDF_KEEP_SECONDS = 3600
STATUS_WORDS = {
    "pending": "pending: waiting for PayFast",
    "complete": "complete",
    "failed": "failed: nothing was charged",
    "cancelled": "cancelled: nothing was charged",
    "rejected": "rejected",
}
BILLING_CSS = """
<style>
.fx-bill-table { width: 100%; border-collapse: collapse; font-size: 0.92em; }
.fx-bill-table th, .fx-bill-table td { text-align: left; padding: 6px 8px; vertical-align: top;
  border-bottom: 1px solid var(--border-color-primary); overflow-wrap: break-word; }
.fx-bill-table .fx-num { text-align: right; white-space: nowrap; }
@media (max-width: 767px) {
  .fx-bill-table, .fx-bill-table tbody, .fx-bill-table tr, .fx-bill-table td { display: block; width: auto; }
  .fx-bill-table thead { display: none; }
  .fx-bill-table { border: none !important; }
  .fx-bill-table tr { border: none !important; border-bottom: 1px solid var(--border-color-primary) !important;
    padding: 6px 0; }
  .fx-bill-table td, .fx-bill-table td.fx-num { border: none !important; padding: 2px 4px !important;
    text-align: left; }
  .fx-bill-table td::before { content: attr(data-label) ": "; color: var(--body-text-color-subdued); }
}
.fx-bill-empty { color: var(--body-text-color-subdued); margin: 6px 0; }
#continue-to-payfast { width: 100%; min-height: 48px; margin-top: 8px; font-size: 1.05em; font-weight: 600;
  border-radius: 8px; border: none; cursor: pointer; background: var(--button-primary-background-fill);
  color: var(--button-primary-text-color); }
#continue-to-payfast:focus-visible { outline: 3px solid var(--color-accent); outline-offset: 2px; }
#low-balance { border-left: 4px solid var(--color-red-500, #c0392b); padding: 6px 12px;
  background: var(--background-fill-secondary); border-radius: 6px; }
</style>
"""


# What the page shows ---------------------------------------------------------------------------------------------
def pack_label(pack: Pack) -> str:
    """E.g. "5,500 credits: R500.00 + VAT R75.00 = R575.00"."""
    return (
        f"{pack.credits:,} credits: {money(pack.price_cents)} + VAT {money(pack.vat_cents)} = {money(pack.total_cents)}"
    )


def banner_text(balance_mc: int, admin: bool) -> str:
    advice = "Buy credits below." if admin else "Ask your admin to buy credits."
    return f"**Low balance:** {credits_text(balance_mc)} left. {advice}"


def checkout_html(order: Checkout, pack: Pack) -> str:
    """PayFast's form: every field hidden and escaped, submitted by the buyer's click in this tab."""
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">' for name, value in order.fields.items()
    )
    return (
        f'<form id="payfast-form" method="post" action="{escape(order.process_url)}">{hidden}'
        f"<p>{pack.credits:,} credits for {money(pack.total_cents)} (VAT included). PayFast takes the payment on its "
        "own secure page; you come back here afterwards.</p>"
        '<button type="submit" id="continue-to-payfast">Continue to PayFast</button></form>'
    )


def _day(item: InvoiceItem) -> str:
    return item.issued_at.astimezone(SAST).strftime("%Y-%m-%d")


def table_html(columns: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    """A table of text cells, escaped here; `columns`: (name, is a figure). On a phone each row is a small card
    whose cells carry their column's name (`data-label`): four columns side by side would not fit."""
    figure = ' class="fx-num"'
    head = "".join(f"<th{figure if num else ''}>{escape(name)}</th>" for name, num in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td{figure if num else ""} data-label="{escape(name)}">{escape(cell)}</td>'
            for (name, num), cell in zip(columns, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="fx-bill-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def invoices_html(items: list[InvoiceItem]) -> str:
    if not items:
        return '<p class="fx-bill-empty">No tax invoices yet: each completed purchase gets one.</p>'
    columns = [("Number", False), ("Date", False), ("Description", False), ("Total", True)]
    return table_html(columns, [[i.number, _day(i), i.description, money(i.total_cents)] for i in items])


def invoice_choices(items: list[InvoiceItem]) -> list[tuple[str, str]]:
    return [(f"{i.number} · {_day(i)} · {money(i.total_cents)}", i.number) for i in items]


def status_text(item: PurchaseView) -> str:
    words = STATUS_WORDS.get(item.status, item.status)
    if item.status in ("rejected", "failed") and item.reason:
        return f"{item.status}: {item.reason}"
    if item.status == "complete" and item.invoice_number:
        return f"{words}, invoice {item.invoice_number}"
    return words


def purchases_html(items: list[PurchaseView]) -> str:
    if not items:
        return '<p class="fx-bill-empty">No purchases yet.</p>'
    columns = [("Started (SAST)", False), ("Credits", True), ("Total", True), ("Status", False)]
    rows = []
    for p in items:
        started = p.created_at.astimezone(SAST).strftime("%Y-%m-%d %H:%M")
        rows.append([started, f"{p.credits:,.0f}", money(p.total_cents), status_text(p)])
    return table_html(columns, rows)


def _prune(root: Path, older_than: float) -> None:
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            stale = folder.stat().st_mtime < older_than
        except FileNotFoundError:  # pruned by a concurrent call
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)


def invoice_button(invoice: Invoice | None) -> Any:
    """The download button holding the invoice's PDF, or hidden. The file is written to a folder of its own (its
    name is what the download is saved as); Gradio copies it into its cache when the button is sent and serves
    the copy under a secret-seeded hash, so ours is only kept a while."""
    if invoice is None:
        return gr.DownloadButton(value=None, visible=False)
    root = Path(tempfile.gettempdir()) / PDF_FOLDER
    _prune(root, time.time() - PDF_KEEP_SECONDS)
    folder = root / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / f"{invoice.number}.pdf"
    path.write_bytes(invoice_pdf(invoice))
    return gr.DownloadButton(value=str(path), visible=True)
