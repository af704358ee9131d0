"""Plain text: the first non-empty line is the title, the rest the body (not read as Markdown)."""

from __future__ import annotations

from ingestion.loaders.common import decode_text, tidy, title_from_name
from ingestion.models import LoadedDocument, Part


def load_text(data: bytes, name: str) -> LoadedDocument:
    text = tidy(decode_text(data))
    first, _, rest = text.partition("\n")
    title = first.strip() or title_from_name(name)
    # A one-line file is all title: index that line rather than nothing.
    body = rest.strip() or first.strip()
    return LoadedDocument(title=title, parts=[Part(text=body, markdown=False)])
