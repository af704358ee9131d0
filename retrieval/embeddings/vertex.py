"""Production embeddings: Vertex AI `text-embedding-005` through LangChain's `GoogleGenerativeAIEmbeddings`
with the Vertex AI backend (`vertexai=True`; the older `VertexAIEmbeddings` class is deprecated).

Documents use the RETRIEVAL_DOCUMENT task type and queries RETRIEVAL_QUERY, which is how the model was trained for
asymmetric search. Requests are batched (Vertex takes at most 250 texts and 20k tokens per call; LangChain splits
by both) and retried with exponential backoff on quota (429) and server (5xx) errors and dropped connections.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE_CODES = {408, 429, 500, 502, 503, 504}


class EmbeddingError(RuntimeError):
    """Vertex AI refused or failed an embedding request after all retries."""


def _status_code(exc: BaseException) -> int | None:
    for candidate in (exc, exc.__cause__, exc.__context__):
        code = getattr(candidate, "code", None) or getattr(candidate, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def _is_retryable(exc: BaseException) -> bool:
    code = _status_code(exc)
    if code is not None:
        return code in RETRYABLE_CODES
    text = f"{exc} {exc.__cause__}".lower()
    return any(word in text for word in ("timeout", "timed out", "connection", "temporarily", "unavailable"))


class VertexEmbedder:
    """768-d, unit-length vectors from Vertex AI; `base_url`/`credentials` point it elsewhere (tests, proxies)."""

    def __init__(
        self,
        project: str,
        location: str,
        model: str = "text-embedding-005",
        dim: int = 768,
        batch_size: int = 100,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        credentials: Any = None,
        base_url: str | None = None,
        client: Any = None,
    ) -> None:
        self.name = model
        self.dim = dim
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        if client is None:
            from langchain_google_genai import GoogleGenerativeAIEmbeddings

            client = GoogleGenerativeAIEmbeddings(
                model=model,
                vertexai=True,
                project=project,
                location=location,
                credentials=credentials,
                base_url=base_url,
                output_dimensionality=dim,
            )
        self._client = client

    def _with_retries(self, call: Callable[[], T]) -> T:
        for attempt in range(1, self.max_attempts + 1):
            try:
                return call()
            except Exception as exc:
                if attempt == self.max_attempts or not _is_retryable(exc):
                    raise EmbeddingError(f"Vertex AI embeddings ({self.name}) failed: {exc}") from exc
                delay = self.base_delay * 2 ** (attempt - 1)
                log.warning("embedding request failed (%s), retry %d in %.1fs", exc, attempt, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _normalise(self, vectors: Any) -> np.ndarray:
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim != 2 or array.shape[1] != self.dim:
            raise EmbeddingError(f"{self.name} returned vectors of shape {array.shape}, expected (n, {self.dim})")
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        result: np.ndarray = array / np.maximum(norms, 1e-12)
        return result

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vectors.extend(
                self._with_retries(
                    functools.partial(
                        self._client.embed_documents, batch, batch_size=self.batch_size, task_type="RETRIEVAL_DOCUMENT"
                    )
                )
            )
        return self._normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._with_retries(lambda: self._client.embed_query(text, task_type="RETRIEVAL_QUERY"))
        result: np.ndarray = self._normalise([vector])[0]
        return result
