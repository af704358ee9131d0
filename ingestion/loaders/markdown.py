"""Markdown: the text as it is (headings are split by the chunker); the title from front matter or the first `# `."""

from __future__ import annotations

import re

from ingestion.loaders.common import decode_text, tidy, title_from_name
from ingestion.models import LoadedDocument, Part

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.MULTILINE)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def load_markdown(data: bytes, name: str) -> LoadedDocument:
    text = decode_text(data)
    title = ""
    if front := _FRONT_MATTER.match(text):
        # Only `title:` is read; the rest of the front matter is metadata for other tools, not searchable text.
        if found := _FRONT_TITLE.search(front.group(1)):
            title = found.group(1).strip().strip("\"'")
        text = text[front.end() :]
    if not title and (h1 := _H1.search(text)):
        title = h1.group(1).strip()
    return LoadedDocument(title=title or title_from_name(name), parts=[Part(text=tidy(text))])
