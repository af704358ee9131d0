"""The knowledge base as the application sees it: which audiences a role may read, and whole articles.

Which audiences a role may read is the role policy's (`assistant.application.policy.audiences_for`); the role
always comes from the authenticated `Principal`, never from a request.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from domain.errors import NotFound
from retrieval.types import Audience, Chunk, SearchService


class Section(BaseModel):
    heading_path: list[str] = Field(default_factory=list)
    text: str


class Article(BaseModel):
    doc_id: str
    title: str
    source: str
    audience: Audience
    sections: list[Section]

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


def join_pieces(pieces: Sequence[str]) -> str:
    """The text of consecutive chunks of one section: the splitter repeats up to `CHUNK_OVERLAP` characters of a
    chunk at the start of the next, which is dropped here so nothing is read twice."""
    text = ""
    for piece in pieces:
        overlap = next((n for n in range(min(len(text), len(piece)), 0, -1) if text.endswith(piece[:n])), 0)
        if overlap < 20:  # a short match is a coincidence (a shared word), not the splitter's overlap
            overlap = 0
        text = f"{text}\n\n{piece}" if text and not overlap else text + piece[overlap:]
    return text.strip()


def sections_of(chunks: Sequence[Chunk]) -> list[Section]:
    """Chunks in reading order grouped into their sections (consecutive chunks under one heading path)."""
    groups: list[tuple[list[str], list[str]]] = []
    for chunk in chunks:
        if groups and groups[-1][0] == chunk.heading_path:
            groups[-1][1].append(chunk.text)
        else:
            groups.append((list(chunk.heading_path), [chunk.text]))
    return [Section(heading_path=path, text=join_pieces(texts)) for path, texts in groups]


def get_article(searcher: SearchService | None, org_id: str, doc_id: str, audiences: Sequence[Audience]) -> Article:
    """One knowledge-base article of `org_id`, whole; NotFound if the organisation has no such article or the
    caller's audiences do not include it (the same answer, so an internal article's existence is not revealed)."""
    chunks = [c for c in searcher.document(org_id, doc_id, audiences) if c.doc_type == "kb"] if searcher else []
    if not chunks:
        raise NotFound(f"no knowledge-base article {doc_id!r} in this organisation")
    first = chunks[0]
    return Article(
        doc_id=doc_id, title=first.title, source=first.source, audience=first.audience, sections=sections_of(chunks)
    )
