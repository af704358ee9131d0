"""Each file format parsed into title + parts, and unreadable files rejected with a reason."""

from __future__ import annotations

import pytest

from ingestion.errors import ParseError
from ingestion.loaders import is_supported, load_document
from tests.ingestion.doubles import KB_FILES, make_pdf


def test_markdown_title_from_h1_and_front_matter():
    doc = load_document("channels/connect-takealot.md", KB_FILES["channels/connect-takealot.md"].encode())
    assert doc.title == "Connecting Takealot"
    assert "## Steps" in doc.parts[0].text and doc.parts[0].markdown
    front = load_document("a.md", b"---\ntitle: 'Reorder points'\ntags: [stock]\n---\nBody without a heading.\n")
    assert front.title == "Reorder points"
    assert front.parts[0].text == "Body without a heading."
    assert load_document("low-stock-report.md", b"just text").title == "Low stock report"


def test_html_keeps_headings_and_reading_order_and_drops_scripts():
    doc = load_document("customs.html", KB_FILES["importing/customs.html"].encode())
    text = doc.parts[0].text
    assert doc.title == "Customs duty and import VAT"
    assert "# Customs duty and import VAT" in text
    assert "## Import VAT" in text and "### Example" in text
    assert "SARS charges customs duty on the customs value." in text  # inline <b> stays in place
    assert "- Customs value R10 000" in text
    assert "track()" not in text and "Home | Help" not in text


def test_html_declared_charset_is_honoured():
    html = '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body><p>Cr\xe8me</p></body></html>'
    doc = load_document("x.htm", html.encode("cp1252"))
    assert doc.title == "Café" and "Crème" in doc.parts[0].text


def test_pdf_text_per_page_with_title():
    doc = load_document(
        "guide.pdf", make_pdf(["Incoterms guide\nFOB: free on board", "DDP: delivered duty paid"], "Incoterms")
    )
    assert doc.title == "Incoterms"
    assert [p.heading_path for p in doc.parts] == [("Page 1",), ("Page 2",)]
    assert "FOB: free on board" in doc.parts[0].text and "delivered duty paid" in doc.parts[1].text
    untitled = load_document("guide.pdf", make_pdf(["Load-shedding tips\nCharge the scanners."]))
    assert untitled.title == "Load-shedding tips"


def test_text_first_line_is_title():
    doc = load_document("glossary.txt", b"Fluxori glossary\n\nSKU: stock keeping unit\n")
    assert doc.title == "Fluxori glossary"
    assert doc.parts[0].text == "SKU: stock keeping unit" and not doc.parts[0].markdown


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "damaged PDF"),
        ("fake.pdf", b"this is not a pdf", "not a PDF"),
        ("latin1.md", "Caf\xe9 prices".encode("latin-1"), "not UTF-8"),
        ("binary.txt", b"\x00\x01\x02binary", "binary data"),
        ("empty.html", b"<html><body><script>x()</script></body></html>", "no text"),
        ("blank.pdf", make_pdf([""]), "no extractable text"),
    ],
)
def test_unreadable_files_raise_parse_error_with_reason(name, data, reason):
    with pytest.raises(ParseError, match=reason):
        load_document(name, data)


def test_supported_types():
    assert all(is_supported(n) for n in ("a.md", "b.MARKDOWN", "c.html", "d.htm", "e.pdf", "f.txt"))
    assert not any(is_supported(n) for n in ("logo.png", "notes.docx", "Makefile"))
