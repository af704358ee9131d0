"""Chunking with LangChain's text splitters: first at headings (structure), then to a bounded size.

1. `MarkdownHeaderTextSplitter` cuts each Markdown part (Markdown files, and HTML rendered to Markdown by its
   loader) at `#`..`######` headings and records the heading path of every section.
2. `RecursiveCharacterTextSplitter` cuts sections longer than `CHUNK_SIZE` characters at paragraph, line, then
   word boundaries, with `CHUNK_OVERLAP` characters repeated so a sentence cut in two is whole in one chunk.

`Chunk.text` is the passage; what retrieval embeds and keyword-indexes is `retrieval.text.index_text(chunk)`: title,
heading path, then the passage, so a chunk saying "Click Connect" is also found by "connect Takealot".
`content_hash` is the sha256 of exactly that embedded text. A chunk's id hashes org + document + heading path + its
ordinal under that path, so an edit in one section leaves the ids of the other sections alone.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from ingestion.models import LoadedDocument, Part
from retrieval.text import index_text
from retrieval.types import Chunk, DocType

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 150
# Part of every document fingerprint: bump it when chunking changes, and the next run re-chunks every document.
CHUNKER_VERSION = "3"  # 3: chunks carry their audience (Vertex AI restricts need every datapoint re-upserted)

_HEADERS = [("#" * n, f"h{n}") for n in range(1, 7)]
_header_splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
_size_splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id(org_id: str, doc_id: str, heading_path: tuple[str, ...] | list[str], ordinal: int) -> str:
    """Stable: the same part of the same document of the same organisation always gets the same id."""
    key = "\x1f".join([org_id, doc_id, "\x1e".join(heading_path), str(ordinal)])
    return sha256(key)[:32]


def sections(document: LoadedDocument) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, text) in document order; headings found in a Markdown part extend the part's own path."""
    found: list[tuple[tuple[str, ...], str]] = []
    for part in document.parts:
        found.extend(_part_sections(part))
    return [(path, text) for path, text in found if text.strip()]


def _part_sections(part: Part) -> list[tuple[tuple[str, ...], str]]:
    if not part.markdown:
        return [(part.heading_path, part.text)]
    out = []
    for doc in _header_splitter.split_text(part.text):
        headings = tuple(doc.metadata[f"h{n}"] for n in range(1, 7) if f"h{n}" in doc.metadata)
        # The splitter joins paragraphs with "  \n" (a Markdown line break); restore the blank line between them
        # so the size splitter can still cut at paragraph boundaries.
        out.append((part.heading_path + headings, doc.page_content.replace("  \n", "\n\n")))
    return out


def chunk_document(
    document: LoadedDocument,
    *,
    org_id: str,
    doc_type: DocType,
    doc_id: str,
    source: str,
    metadata: Mapping[str, Any] | None = None,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    ordinals: Counter[tuple[str, ...]] = Counter()
    for path, text in sections(document):
        for piece in _size_splitter.split_text(text):
            ordinal = ordinals[path]
            ordinals[path] += 1
            chunk = Chunk(
                chunk_id=chunk_id(org_id, doc_id, path, ordinal),
                org_id=org_id,
                doc_type=doc_type,
                doc_id=doc_id,
                source=source,
                title=document.title,
                heading_path=list(path),
                text=piece,
                content_hash="",
                audience=document.audience,
                metadata={**(metadata or {}), "ordinal": ordinal, "position": len(chunks)},
            )
            chunk.content_hash = sha256(index_text(chunk))
            chunks.append(chunk)
    return chunks
