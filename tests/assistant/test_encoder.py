"""The offline model's sentence encoder under concurrency: batched, each caller gets its own rows, errors reach
every waiter, and the token counter does not disturb concurrent encodes (it once broke them: shared tokenizer)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.models import BatchingEncoder, SentenceEncoder
from retrieval.embeddings import LocalEmbedder
from tests.conftest import MINILM


def slow_length_encoder(calls: list[list[str]]):
    """A stand-in model (fake, so that the test controls timing): one row [len(text)] per text, 20 ms a call."""

    def encode_batch(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        time.sleep(0.02)
        if "boom" in texts:
            raise RuntimeError("model failed")
        return np.array([[float(len(t))] for t in texts])

    return encode_batch


def test_concurrent_callers_share_model_calls_and_get_their_own_rows():
    calls: list[list[str]] = []
    encoder = BatchingEncoder(slow_length_encoder(calls))
    texts = [["x" * i, "y" * (i + 100)] for i in range(1, 33)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(encoder, texts))
    for pair, rows in zip(texts, results, strict=True):
        assert rows.tolist() == [[len(pair[0])], [len(pair[1])]]
    assert sum(len(c) for c in calls) == 64
    assert len(calls) < 32, "concurrent callers should have been batched"


def test_a_lone_caller_is_not_delayed_and_a_failure_reaches_every_waiter():
    calls: list[list[str]] = []
    encoder = BatchingEncoder(slow_length_encoder(calls))
    assert encoder(["alone"]).tolist() == [[5.0]] and calls == [["alone"]]

    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def call(text: str) -> None:
        barrier.wait()
        try:
            encoder([text])
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=("boom" if i == 0 else f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    batch_with_boom = next(c for c in calls if "boom" in c)
    assert len(errors) == len(batch_with_boom)  # the whole failing batch, nobody else, and nobody hangs


@pytest.mark.timeout(120)
def test_real_model_concurrent_encodes_and_token_counts_match_one_by_one():
    sentences = SentenceEncoder(LocalEmbedder(MINILM), MINILM.get())
    encode, count_tokens = sentences.encode, sentences.count_tokens
    questions = [f"how many BV-TENT-{i:04d} do we hold in {'Cape Town ' * (i % 5)}?" for i in range(16)]
    alone = {q: encode([q])[0] for q in questions}
    tokens = {q: count_tokens(q * 30) for q in questions}

    def work(offset: int) -> bool:
        for i in range(40):
            q = questions[(offset + i) % len(questions)]
            if not np.allclose(encode([q])[0], alone[q], atol=1e-5) or count_tokens(q * 30) != tokens[q]:
                return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(8)))
