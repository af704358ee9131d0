"""Markdown: the text as it is (headings are split by the chunker); the title from front matter or the first `# `,
the audience (`public` by default, or `internal`: support staff and admins only) from front matter."""

from __future__ import annotations

import re

from ingestion.loaders.common import audience_of, decode_text, tidy, title_from_name
from ingestion.models import LoadedDocument, Part

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.MULTILINE)
_FRONT_AUDIENCE = re.compile(r"^audience:\s*(.*?)\s*$", re.MULTILINE)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def load_markdown(data: bytes, name: str) -> LoadedDocument:
    text = decode_text(data)
    title, audience = "", audience_of(None, name)
    if front := _FRONT_MATTER.match(text):
        # `title:` and `audience:` are read; the rest is metadata for other tools, not searchable text.
        if found := _FRONT_TITLE.search(front.group(1)):
            title = found.group(1).strip().strip("\"'")
        if found := _FRONT_AUDIENCE.search(front.group(1)):
            audience = audience_of(found.group(1), name)
        text = text[front.end() :]
    if not title and (h1 := _H1.search(text)):
        title = h1.group(1).strip()
    return LoadedDocument(title=title or title_from_name(name), parts=[Part(text=tidy(text))], audience=audience)
