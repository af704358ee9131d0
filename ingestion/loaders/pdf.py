"""PDF with pypdf: the text of each page is a part headed "Page N", so a citation can name the page."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

from ingestion.errors import ParseError
from ingestion.loaders.common import tidy, title_from_name
from ingestion.models import LoadedDocument, Part

# pypdf logs every recoverable oddity of a file as a warning; the run reports real failures itself.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def load_pdf(data: bytes, name: str) -> LoadedDocument:
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise ParseError("not a PDF file (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError("the PDF is encrypted with a password")
        pages = [tidy(page.extract_text() or "") for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except ParseError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files; each means "cannot read this one"
        raise ParseError("damaged PDF, it cannot be read" + (f" ({exc})" if str(exc) else "")) from None
    parts = [Part(text=text, heading_path=(f"Page {n}",), markdown=False) for n, text in enumerate(pages, 1) if text]
    if not parts:
        raise ParseError(f"no extractable text in {len(pages)} page(s): a scanned PDF needs OCR first")
    first_line = parts[0].text.split("\n", 1)[0].strip()
    title = str(meta_title).strip() or (first_line if 0 < len(first_line) <= 120 else "") or title_from_name(name)
    return LoadedDocument(title=title, parts=parts)
