"""The billing documents: a tax invoice that states everything SA VAT Act s20(4) asks of a full tax invoice, a
statement whose CSV and PDF carry the same figures exactly (no float noise), CSV cells that never run as formulas,
and names outside Latin-1 that render instead of raising."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pypdf
import pytest

from assistant.billing.documents import (
    FOOTER,
    RECONCILIATION,
    invoice_pdf,
    pdf_safe,
    statement_csv,
    statement_pdf,
)
from assistant.billing.models import Statement, StatementPurchase, UsageLine
from assistant.csv_cells import safe_cell
from domain.purchases import Invoice, Party

# 22:30 UTC on 31 May is already 1 June in South Africa (UTC+2): the documents must say 1 June.
LATE_MAY = datetime(2026, 5, 31, 22, 30, tzinfo=UTC)
SUPPLIER = Party(
    name="Fluxori (Pty) Ltd", address="1 Demo Street, Rosebank, Johannesburg, 2196", vat_number="4000000000"
)


def make_invoice(**changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "number": "INV-000042",
        "sequence": 42,
        "org_id": "acme",
        "purchase_id": "p-1",
        "issued_at": LATE_MAY,
        "supplier": SUPPLIER,
        "recipient": Party(name="Acme Traders CC", address="12 Long Street, Cape Town, 8001", vat_number="4123456789"),
        "description": "Growth pack",
        "credits_mc": 10_000_000,
        "price_cents": 100_000,
        "vat_percent": 15,
        "vat_cents": 15_000,
        "total_cents": 115_000,
    }
    return Invoice(**(fields | changes))


def line(name: str, questions: int, credits_mc: int) -> UsageLine:
    return UsageLine(name=name, questions=questions, credits_mc=credits_mc)


def make_statement(**changes: Any) -> Statement:
    opening, bought, granted, used, held_start, held_end = 1_000_500, 10_000_000, 500_000, 12_345, 2_000, 1_000
    closing = opening + bought + granted - used + held_start - held_end
    fields: dict[str, Any] = {
        "org_id": "acme",
        "org_name": "Acme Traders CC",
        "month": "2026-05",
        "period_start": datetime(2026, 4, 30, 22, tzinfo=UTC),
        "period_end": datetime(2026, 5, 31, 22, tzinfo=UTC),
        "generated_at": LATE_MAY,
        "opening_mc": opening,
        "purchases_mc": bought,
        "purchases": [
            StatementPurchase(
                at=datetime(2026, 5, 3, 8, 15, tzinfo=UTC),
                invoice_number="INV-000042",
                description="Growth pack",
                credits_mc=bought,
                total_cents=115_000,
            )
        ],
        "grants_mc": granted,
        "usage_mc": used,
        "questions": 9,
        "refunded_questions": 1,
        "usage_by_model": [line("gemini-2.5-flash", 6, 10_000), line("fluxori-offline-1", 3, 2_345)],
        "usage_by_tool": [line("stock_levels", 4, 1_000)],
        "usage_by_key": [line("key-ops", 9, 12_345)],
        "held_at_start_mc": held_start,
        "held_at_end_mc": held_end,
        "closing_mc": closing,
        "ledger_closing_mc": closing,
        "reconciled": True,
    }
    return Statement(**(fields | changes))


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def font_sizes(data: bytes) -> dict[str, float]:
    """Each piece of text of the first page with the font size it is drawn in."""
    sizes: dict[str, float] = {}

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            sizes[text.strip()] = size

    pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    return sizes


def sections(text: str) -> list[list[list[str]]]:
    """The CSV's blocks (separated by blank rows), each as its rows."""
    blocks: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(text)):
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    return blocks


def test_the_invoice_states_every_item_of_a_full_tax_invoice() -> None:
    data = invoice_pdf(make_invoice())
    text = pdf_text(data)
    for item in (
        "Tax Invoice",
        "Fluxori (Pty) Ltd",  # the supplier: name, address, VAT registration number
        "1 Demo Street, Rosebank, Johannesburg, 2196",
        "VAT registration number: 4000000000",
        "Acme Traders CC",  # the recipient: name, address, VAT registration number
        "12 Long Street, Cape Town, 8001",
        "VAT registration number: 4123456789",
        "Invoice number: INV-000042",
        "Date of issue: 2026-06-01",  # in SAST
        "AI credits: Growth pack 10,000 R1,000.00",  # what was supplied, how many credits, excluding VAT
        "Total excluding VAT R1,000.00",
        "VAT at 15% R150.00",
        "Total including VAT R1,150.00",
        FOOTER,
    ):
        assert item in text, f"{item!r} is missing from the invoice:\n{text}"
    sizes = font_sizes(data)
    assert sizes["Tax Invoice"] == max(sizes.values()) >= 18, "the words 'Tax Invoice' are the most prominent"


def test_a_recipient_without_address_or_vat_number_states_neither() -> None:
    text = pdf_text(invoice_pdf(make_invoice(recipient=Party(name="Sipho's Spaza"))))
    assert "Sipho's Spaza" in text
    assert text.count("VAT registration number:") == 1  # the supplier's only


def test_the_description_says_ai_credits_once_and_fractions_of_credits_show() -> None:
    text = pdf_text(invoice_pdf(make_invoice(description="AI credits: Starter pack", credits_mc=1_234_500)))
    assert "AI credits: Starter pack 1,234.5 " in text
    assert "AI credits: AI credits" not in text
    stored = pdf_text(invoice_pdf(make_invoice(description="Fluxori AI credits: 5,500 credits (growth pack)")))
    assert "Fluxori AI credits: 5,500 credits (growth pack)" in stored and "AI credits: Fluxori" not in stored


def test_the_statement_csv_round_trips_with_exact_figures() -> None:
    summary, purchases, models, tools, keys = sections(statement_csv(make_statement()))
    assert summary[0] == ["Statement of AI credits"]
    figures = dict(row for row in summary[1:])
    assert figures["Organisation"] == "Acme Traders CC"
    assert figures["Month"] == "2026-05"
    assert figures["Period start (SAST)"] == "2026-05-01 00:00"
    assert figures["Period end (SAST, exclusive)"] == "2026-06-01 00:00"
    assert figures["Opening balance (credits)"] == "1000.500"
    assert figures["Purchases (credits)"] == "10000.000"
    assert figures["Grants (credits)"] == "500.000"
    assert figures["Usage (credits)"] == "12.345"
    assert figures["Held at start (credits)"] == "2.000"
    assert figures["Held at end (credits)"] == "1.000"
    assert figures["Closing balance (credits)"] == figures["Ledger closing balance (credits)"] == "11489.155"
    assert (figures["Questions"], figures["Refunded questions"], figures["Reconciled"]) == ("9", "1", "yes")
    parts = [Decimal(figures[f"{name} (credits)"]) for name in ("Opening balance", "Purchases", "Grants", "Usage")]
    held = Decimal(figures["Held at start (credits)"]) - Decimal(figures["Held at end (credits)"])
    assert parts[0] + parts[1] + parts[2] - parts[3] + held == Decimal(figures["Closing balance (credits)"])
    assert purchases == [
        ["Purchases"],
        ["Date (SAST)", "Invoice", "Description", "Credits", "Paid incl. VAT (ZAR)"],
        ["2026-05-03 10:15", "INV-000042", "Growth pack", "10000.000", "1150.00"],
    ]
    assert models[2:] == [["gemini-2.5-flash", "6", "10.000"], ["fluxori-offline-1", "3", "2.345"]]
    assert tools == [["Usage by tool"], ["Tool", "Questions", "Credits"], ["stock_levels", "4", "1.000"]]
    assert keys[0] == ["Usage by API key"] and keys[2:] == [["key-ops", "9", "12.345"]]


def test_credits_are_written_to_the_millicredit_without_float_noise() -> None:
    usage = [line("a", 1, 1), line("b", 1, 100_000_001), line("c", 1, 0), line("d", 1, 300_000 + 1)]
    rows = sections(statement_csv(make_statement(usage_by_model=usage)))[2][2:]
    assert [row[2] for row in rows] == ["0.001", "100000.001", "0.000", "300.001"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Acme", "Acme"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_safe_cell_keeps_formulas_text(value: str, shown: str) -> None:
    assert safe_cell(value) == shown


def test_no_user_text_in_the_csv_can_run_as_a_formula_and_negative_figures_stay_numbers() -> None:
    statement = make_statement(
        org_name='=HYPERLINK("http://evil.example","click")',
        grants_mc=-2_500,  # an admin's correction: a negative figure of ours
        purchases=[
            StatementPurchase(at=LATE_MAY, invoice_number="INV-000001", description="=1+1", credits_mc=0, total_cents=0)
        ],
        usage_by_model=[line("+cmd", 1, 1_000), line("-2+3", 1, 1_000)],
        usage_by_tool=[line("@SUM(A1)", 1, 1_000)],
        usage_by_key=[line("\t=1", 1, 1_000)],
        reconciled=False,
    )
    text = statement_csv(statement)
    blocks = sections(text)
    figures = dict(row for row in blocks[0][1:])
    assert figures["Organisation"] == '\'=HYPERLINK("http://evil.example","click")'
    assert figures["Grants (credits)"] == "-2.500" and figures["Reconciled"] == "no"
    assert blocks[1][2][2] == "'=1+1"
    assert [row[0] for row in blocks[2][2:]] == ["'+cmd", "'-2+3"]
    assert blocks[3][2][0] == "'@SUM(A1)"
    assert blocks[4][2][0] == "'\t=1"
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                Decimal(cell)  # only a number of ours may start so; anything else raises here


def test_the_statement_pdf_shows_the_figures_the_reconciliation_and_the_tables() -> None:
    text = pdf_text(statement_pdf(make_statement()))
    for item in (
        "Statement of AI credits",
        "Acme Traders CC, 2026-05",
        "Opening balance (credits) 1,000.500",
        "Closing balance (credits) 11,489.155",
        RECONCILIATION,
        "11,489.155 = 1,000.500 + 10,000.000 + 500.000 - 12.345 + 2.000 - 1.000",
        "reconciles with the ledger's balance at the end of the period: 11,489.155 credits",
        "2026-05-03 10:15 INV-000042 Growth pack 10,000.000 R1,150.00",
        "gemini-2.5-flash 6 10.000",
        "fluxori-offline-1 3 2.345",
        "stock_levels 4 1.000",
        "key-ops 9 12.345",
        FOOTER,
    ):
        assert item in text, f"{item!r} is missing from the statement:\n{text}"


def test_a_statement_that_does_not_reconcile_says_so_and_by_how_much() -> None:
    statement = make_statement(ledger_closing_mc=11_489_000, reconciled=False, purchases=[], usage_by_tool=[])
    text = pdf_text(statement_pdf(statement))
    assert "does NOT reconcile (off by 0.155 credits) with the ledger's balance" in text
    assert "11,489.000 credits" in text
    assert text.count("None in this period.") == 2


def test_a_long_statement_breaks_over_pages_with_the_footer_on_each() -> None:
    keys = [line(f"key-{i:03d}", 1, 1_000) for i in range(120)]
    reader = pypdf.PdfReader(io.BytesIO(statement_pdf(make_statement(usage_by_key=keys))))
    assert len(reader.pages) > 2
    texts = [page.extract_text() for page in reader.pages]
    assert all(FOOTER in t for t in texts)
    assert all(f"key-{i:03d} 1 1.000" in "\n".join(texts) for i in range(120))


def test_names_outside_latin_1_render_instead_of_raising() -> None:
    name = "Zoë's Cafè ☕"
    invoice = make_invoice(recipient=Party(name=name, address="Straße 1, Dvořák Road", vat_number="4123456789"))
    text = pdf_text(invoice_pdf(invoice))
    assert "Zoë's Cafè ?" in text and "Straße 1, Dvorák Road" in text
    statement = make_statement(org_name=name, usage_by_model=[line("模型 “β” — v2…", 1, 1_000)])
    text = pdf_text(statement_pdf(statement))
    assert "Zoë's Cafè ?, 2026-05" in text
    assert '?? "?" - v2... 1 1.000' in text
    assert "Zoë's Cafè ☕" in statement_csv(statement)  # the CSV is Unicode: nothing to fold


def test_pdf_safe_folds_to_latin_1() -> None:
    assert pdf_safe("Zoë’s “Cafè” – ☕ ﬁne €5\tok\nnext") == 'Zoë\'s "Cafè" - ? fine EUR5 ok\nnext'
    assert pdf_safe("Ærø Ñandú") == "Ærø Ñandú"  # Latin-1 already: unchanged
