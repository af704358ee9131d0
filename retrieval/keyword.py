"""Keyword leg: BM25 (bm25s, Lucene variant, k1=1.5, b=0.75) over English-stemmed tokens without stop words.

One index per organisation, so another organisation's chunks are never candidates. The `doc_type` and audience
restrictions are a weight mask inside bm25s's top-k selection (0 for other types and audiences), not a filter
applied to results afterwards; only results with a positive score (at least one query term matched) are returned.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer

from retrieval.types import DocType

DOC_TYPES: tuple[DocType, ...] = ("kb", "product", "order")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    result: list[list[str]] = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return result


class KeywordIndex:
    """An immutable BM25 index over one organisation's chunks (rebuilt when its corpus changes)."""

    def __init__(
        self,
        ids: Sequence[str],
        doc_types: Sequence[str],
        texts: Sequence[str],
        k1: float = 1.5,
        b: float = 0.75,
        audiences: Sequence[str] | None = None,
    ) -> None:
        self.ids = list(ids)
        self._types = np.asarray(list(doc_types), dtype=object)
        self._audiences = np.asarray(list(audiences) if audiences is not None else ["public"] * len(self.ids), object)
        self._retriever: bm25s.BM25 | None = None
        self._lock = threading.Lock()  # bm25s keeps per-call state; serialise queries on one index
        self._df: Counter[str] = Counter()
        self._masks: dict[tuple[str | None, tuple[str, ...] | None], np.ndarray] = {}
        if self.ids:
            tokens = tokenize(texts)
            self._df = Counter(term for doc in tokens for term in set(doc))
            self._retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
            self._retriever.index(tokens, show_progress=False)

    def ceiling(self, query: str) -> float:
        """The BM25 score a passage approaches by holding every query term very often: the sum of the terms' IDF
        (Lucene's, as bm25s scores). A hit's score over it says how much of the query it matches, on one scale for
        every query and corpus; a term no chunk contains adds the largest IDF."""
        terms = set(tokenize([query])[0])
        n = len(self.ids)
        return sum(math.log(1 + (n - self._df.get(t, 0) + 0.5) / (self._df.get(t, 0) + 0.5)) for t in terms)

    def __len__(self) -> int:
        return len(self.ids)

    def _mask(self, doc_type: str | None, audiences: Sequence[str] | None) -> np.ndarray | None:
        """1 for the chunks a query may see, 0 for the others; None when it may see them all. Cached: there are
        a handful of (type, audiences) combinations and the index is immutable."""
        if doc_type is None and audiences is None:
            return None
        key = (doc_type, tuple(sorted(audiences)) if audiences is not None else None)
        mask = self._masks.get(key)
        if mask is None:
            allowed = np.ones(len(self.ids), dtype=bool)
            if doc_type is not None:
                allowed &= self._types == doc_type
            if audiences is not None:
                allowed &= np.isin(self._audiences, list(audiences))
            mask = self._masks[key] = allowed.astype(np.float32)
        return mask

    def search(
        self, query: str, k: int, doc_type: str | None = None, audiences: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """`audiences=None` searches every audience (evaluation only; the search service always names them)."""
        if self._retriever is None or k <= 0:
            return []
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        mask = self._mask(doc_type, audiences)
        if mask is not None and not mask.any():
            return []
        top = min(k, len(self.ids))
        with self._lock:
            docs, scores = self._retriever.retrieve(
                tokens, k=top, show_progress=False, weight_mask=mask, n_threads=1, return_as="tuple"
            )
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
