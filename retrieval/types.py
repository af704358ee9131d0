"""What retrieval stores and returns, and the narrow interfaces of its adapters.

`ingestion` produces `Chunk`s and hands them to a `SearchService`; the assistant asks it for `SearchHit`s.
Every call names one organisation; adapters apply that scope inside the index query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field

from domain.doc_types import DocType as DocType  # re-exported: retrieval's callers name the kinds from here

# Who may read a passage: `public` (every role, the default) or `internal` (support staff and admins). Applied inside
# each index query, like the organisation: a merchant's query never has an internal passage as a candidate.
Audience = Literal["public", "internal"]
AUDIENCES: tuple[Audience, ...] = ("public", "internal")
PUBLIC: tuple[Audience, ...] = ("public",)


class Chunk(BaseModel):
    """One indexed passage. `chunk_id` is stable: the same document part always gets the same id."""

    chunk_id: str
    org_id: str
    doc_type: DocType
    doc_id: str = Field(description="The document the chunk belongs to: a KB path/URI, `product:SKU`, `order:N`")
    source: str = Field(description="What a citation shows: KB file path, `product:SKU`, `order:NUMBER`")
    title: str
    heading_path: list[str] = Field(default_factory=list)
    text: str
    content_hash: str = Field(description="sha256 of the text that is embedded; the embedding cache key")
    audience: Audience = "public"
    metadata: dict[str, Any] = Field(default_factory=dict)


class SearchHit(BaseModel):
    """The best passage of one document for a query (search returns one hit per document)."""

    chunk_id: str
    doc_type: DocType
    doc_id: str = ""
    source: str
    title: str
    heading_path: list[str] = Field(default_factory=list)
    text: str
    score: float = Field(description="The fused score that ordered the results")
    dense_score: float | None = Field(default=None, description="Cosine similarity to the query, if a candidate")
    keyword_score: float | None = Field(default=None, description="BM25 score, if a candidate of the keyword leg")
    keyword_ceiling: float | None = Field(
        default=None, description="The query's highest possible BM25 score (the sum of its terms' IDF)"
    )
    audience: Audience = "public"
    metadata: dict[str, Any] = Field(default_factory=dict)


class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class VectorIndex(Protocol):
    """Dense index; `org_id`, `doc_type` (when given) and `audiences` restrict the query inside the index.
    `audiences=None` on upsert means every id is public; on query it means every audience (evaluation only)."""

    def upsert(
        self,
        org_id: str,
        ids: Sequence[str],
        vectors: np.ndarray,
        doc_types: Sequence[str],
        audiences: Sequence[str] | None = None,
    ) -> None: ...

    def delete(self, org_id: str, ids: Sequence[str]) -> None: ...

    def query(
        self,
        org_id: str,
        vector: np.ndarray,
        k: int,
        doc_type: str | None = None,
        audiences: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]: ...


@runtime_checkable  # the tools' run context carries one, and LangChain builds a pydantic schema of that context
class SearchService(Protocol):
    """The one entry point used by ingestion (writes) and the assistant/API (reads)."""

    def upsert_chunks(self, chunks: Sequence[Chunk]) -> None: ...

    def delete_chunks(self, org_id: str, chunk_ids: Sequence[str]) -> None: ...

    def search(
        self,
        org_id: str,
        query: str,
        k: int = 5,
        doc_type: str | None = None,
        audiences: Sequence[Audience] = PUBLIC,
        per_document: int = 1,
    ) -> list[SearchHit]: ...

    def document(self, org_id: str, doc_id: str, audiences: Sequence[Audience] = PUBLIC) -> list[Chunk]:
        """Every chunk of one document, in reading order ([] if the organisation has none or may not read it)."""
        ...

    def ready(self) -> bool: ...
