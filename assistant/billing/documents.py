"""The documents of billing: a purchase's tax invoice (PDF) and a month's statement (CSV and PDF).

Amounts are integers (ZAR cents, millicredits) and are written through Decimal, so no float noise ever reaches a
document. fpdf2's core fonts know Latin-1 only: every string entering a PDF is folded to it first (`pdf_safe`),
so any name renders. CSV cells that a spreadsheet could run as a formula are defused by `safe_cell`.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from fpdf import FPDF, XPos, YPos

from assistant.billing.models import Statement, UsageLine
from assistant.csv_cells import safe_cell
from domain.credits import SAST
from domain.purchases import Invoice, Party

FOOTER = "1 credit = R0.10; credits do not expire"
RECONCILIATION = "closing = opening + purchases + grants - usage + held at start - held at end"
_PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "€": "EUR"})
Cell = str | int | Decimal  # str: text (escaped); int and Decimal: numbers (written as they are)


def credits(mc: int) -> Decimal:
    return Decimal(mc).scaleb(-3)


class Rand(Decimal):
    """An amount in ZAR: a number in the CSV, "R1,150.00" in a PDF."""


def rand(cents: int) -> Rand:
    return Rand(Decimal(cents).scaleb(-2))


def money(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}R{rand(abs(cents)):,.2f}"


def sast(at: datetime, time: bool = True) -> str:
    return at.astimezone(SAST).strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")


def pdf_safe(text: str) -> str:
    """`text` in Latin-1: typographic punctuation as ASCII, accents dropped where Latin-1 lacks the letter,
    anything else as '?'; control characters (but newlines) as spaces."""
    return "".join(_latin1(ch) for ch in text.translate(_PUNCTUATION))


def _latin1(ch: str) -> str:
    if ch < " " and ch != "\n":
        return " "
    if ord(ch) < 256:
        return ch
    folded = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 256 and not unicodedata.combining(c))
    return folded or "?"


class _Pdf(FPDF):
    """A4 with a one-line footer; every text it draws passes `pdf_safe`, whichever method draws it."""

    def __init__(self, title: str, footer: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer
        self.set_title(title)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_page()

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(pdf_safe(text))

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, f"{self.footer_text}  |  page {self.page_no()}", align="C")

    def para(self, text: str, size: float = 10, bold: bool = False) -> None:
        self.set_font("Helvetica", "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rows(
        self, header: Sequence[str], rows: Iterable[Sequence[Cell]], widths: Sequence[float], text_columns: int = 1
    ) -> None:
        """A table: its first `text_columns` columns left-aligned, the others (figures) right-aligned."""
        self.set_font("Helvetica", size=9)
        with self.table(col_widths=widths, line_height=5) as table:
            for cells in [header, *rows]:
                row = table.row()
                for i, value in enumerate(cells):
                    row.cell(_figure(value), align="LEFT" if i < text_columns else "RIGHT")


def _party(pdf: _Pdf, role: str, party: Party) -> None:
    pdf.para(role, bold=True)
    pdf.para(party.name)
    if party.address:
        pdf.para(party.address)
    if party.vat_number:
        pdf.para(f"VAT registration number: {party.vat_number}")
    pdf.ln(4)


def invoice_pdf(invoice: Invoice) -> bytes:
    """A full tax invoice as SA VAT Act s20(4) asks for, in ZAR."""
    pdf = _Pdf(f"Tax Invoice {invoice.number}", FOOTER)
    pdf.para("Tax Invoice", size=22, bold=True)
    pdf.ln(2)
    pdf.para(f"Invoice number: {invoice.number}")
    pdf.para(f"Date of issue: {sast(invoice.issued_at, time=False)}")
    pdf.ln(4)
    _party(pdf, "Supplier", invoice.supplier)
    _party(pdf, "Recipient", invoice.recipient)
    # What was supplied must be plain (s20(4)): a description that does not say so yet is prefixed.
    described = "credits" in invoice.description.lower()
    description = invoice.description if described else f"AI credits: {invoice.description}"
    credits_number = f"{credits(invoice.credits_mc).normalize():,f}"
    line = (description, credits_number, money(invoice.price_cents))
    pdf.rows(("Description", "Credits", "Amount excl. VAT"), [line], (5, 2, 2))
    pdf.ln(4)
    totals = [
        ("Total excluding VAT", money(invoice.price_cents)),
        (f"VAT at {invoice.vat_percent}%", money(invoice.vat_cents)),
        ("Total including VAT", money(invoice.total_cents)),
    ]
    pdf.rows(("Totals (ZAR)", ""), totals, (7, 2))
    return bytes(pdf.output())


def _summary(s: Statement) -> list[tuple[str, Cell]]:
    return [
        ("Organisation", s.org_name),
        ("Organisation id", s.org_id),
        ("Month", s.month),
        ("Period start (SAST)", sast(s.period_start)),
        ("Period end (SAST, exclusive)", sast(s.period_end)),
        ("Generated (SAST)", sast(s.generated_at)),
        ("Opening balance (credits)", credits(s.opening_mc)),
        ("Purchases (credits)", credits(s.purchases_mc)),
        ("Grants (credits)", credits(s.grants_mc)),
        ("Usage (credits)", credits(s.usage_mc)),
        ("Questions", s.questions),
        ("Refunded questions", s.refunded_questions),
        ("Held at start (credits)", credits(s.held_at_start_mc)),
        ("Held at end (credits)", credits(s.held_at_end_mc)),
        ("Closing balance (credits)", credits(s.closing_mc)),
        ("Ledger closing balance (credits)", credits(s.ledger_closing_mc)),
        ("Reconciled", "yes" if s.reconciled else "no"),
    ]


def _sections(s: Statement) -> list[tuple[str, tuple[str, ...], list[tuple[Cell, ...]]]]:
    """The statement's tables: title, column names, rows (the same in the CSV and the PDF)."""
    bought: list[tuple[Cell, ...]] = [
        (sast(p.at), p.invoice_number, p.description, credits(p.credits_mc), rand(p.total_cents)) for p in s.purchases
    ]

    def usage(lines: list[UsageLine]) -> list[tuple[Cell, ...]]:
        return [(line.name, line.questions, credits(line.credits_mc)) for line in lines]

    return [
        ("Purchases", ("Date (SAST)", "Invoice", "Description", "Credits", "Paid incl. VAT (ZAR)"), bought),
        ("Usage by model", ("Model", "Questions", "Credits"), usage(s.usage_by_model)),
        ("Usage by tool", ("Tool", "Questions", "Credits"), usage(s.usage_by_tool)),
        ("Usage by API key", ("API key", "Questions", "Credits"), usage(s.usage_by_key)),
    ]


def _csv_row(cells: Iterable[Cell]) -> list[str]:
    return [safe_cell(c) if isinstance(c, str) else str(c) for c in cells]


def statement_csv(statement: Statement) -> str:
    """The summary (one figure a row), then each table after a blank row, its title and its column names."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_csv_row(["Statement of AI credits"]))
    writer.writerows(_csv_row(item) for item in _summary(statement))
    for title, header, rows in _sections(statement):
        writer.writerows([[], _csv_row([title]), _csv_row(header)])
        writer.writerows(_csv_row(row) for row in rows)
    return out.getvalue()


def _figure(value: Cell) -> str:
    """A figure as the PDF shows it: thousands separated, credits to the millicredit, rand as money."""
    if isinstance(value, Rand):
        return money(int(value.scaleb(2)))
    return f"{value:,}" if isinstance(value, int | Decimal) else value


def statement_pdf(statement: Statement) -> bytes:
    s = statement
    pdf = _Pdf(f"Statement {s.month}: {s.org_name}", FOOTER)
    pdf.para("Statement of AI credits", size=18, bold=True)
    pdf.para(f"{s.org_name}, {s.month}", size=12)
    pdf.ln(4)
    pdf.rows(("Summary", ""), _summary(s), (3, 2))
    pdf.ln(4)
    pdf.para("Reconciliation", bold=True)
    pdf.para(RECONCILIATION)
    terms = (s.opening_mc, s.purchases_mc, s.grants_mc, s.usage_mc, s.held_at_start_mc, s.held_at_end_mc)
    pdf.para("{} = {} + {} + {} - {} + {} - {}".format(*(_figure(credits(mc)) for mc in (s.closing_mc, *terms))))
    ledger, off = _figure(credits(s.ledger_closing_mc)), _figure(credits(s.closing_mc - s.ledger_closing_mc))
    verdict = "reconciles with" if s.reconciled else f"does NOT reconcile (off by {off} credits) with"
    pdf.para(f"The closing balance {verdict} the ledger's balance at the end of the period: {ledger} credits.")
    for title, header, rows in _sections(s):
        pdf.ln(4)
        pdf.para(title, size=12, bold=True)
        if not rows:
            pdf.para("None in this period.")
            continue
        purchases = len(header) == 5
        pdf.rows(header, rows, (3, 2, 4, 2, 2) if purchases else (5, 2, 2), text_columns=3 if purchases else 1)
    return bytes(pdf.output())
