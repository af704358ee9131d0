"""File loaders: bytes of one file in, a `LoadedDocument` (title + parts) out, chosen by the file's suffix.

Each format has a module of its own; they share only `common`. A file that cannot be read raises
`ParseError` with a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from ingestion.errors import ParseError
from ingestion.loaders.common import title_from_name
from ingestion.loaders.html import load_html
from ingestion.loaders.markdown import load_markdown
from ingestion.loaders.pdf import load_pdf
from ingestion.loaders.text import load_text
from ingestion.models import LoadedDocument

Loader = Callable[[bytes, str], LoadedDocument]

LOADERS: dict[str, Loader] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".txt": load_text,
    ".text": load_text,
}


def is_supported(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in LOADERS


def load_document(name: str, data: bytes) -> LoadedDocument:
    """Parse one file; `name` (a path or object name) picks the loader and is the title of last resort."""
    loader = LOADERS.get(PurePosixPath(name).suffix.lower())
    if loader is None:
        raise ParseError(f"unsupported file type {PurePosixPath(name).suffix or '(none)'}")
    document = loader(data, name)
    if not any(part.text.strip() for part in document.parts):
        raise ParseError("the file contains no text")
    return document


__all__ = ["LOADERS", "ParseError", "is_supported", "load_document", "title_from_name"]
