"""A chat instance under a slow model: turns overlap on the chat pool, the bound answers 503 + Retry-After, and
Gemini's tokens reach the client as they arrive.

The model is a FAKE of Gemini's HTTP API (benchmarks/fake_gemini.py: each call takes LATENCY seconds, text streams
in chunks), because no real model can run offline; everything else is real: the `langchain-google-genai` client,
the agent and its tools, credits on the Firestore emulator, and the app served by uvicorn on loopback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from app.api.app import create_app
from app.api.config import ApiSettings
from app.wiring import Services
from benchmarks.fake_gemini import TEXT_CHUNKS, FakeGemini, chat_model_for, serve_in_thread
from tests.api.conftest import auth

LATENCY = 0.5  # seconds per model call; a tool turn makes two
BOUND = 8
QUESTION = {"message": "how many BV-TENT-0001 do we have in Cape Town?"}


@pytest.fixture(scope="module")
def gemini() -> FakeGemini:
    return FakeGemini(LATENCY)


@pytest.fixture(scope="module")
def slow_api(services: Services, gemini: FakeGemini) -> Iterator[str]:
    with gemini as gemini_url:
        gemini = Services(services.settings, store=services.store)
        for shared in ("minilm", "sentence_model", "local_embedder", "searcher"):  # loaded once per session
            gemini.override(shared, getattr(services, shared))
        gemini.override("chat_model", chat_model_for(gemini_url, services.settings))
        server, url = serve_in_thread(create_app(gemini, ApiSettings(chat_concurrency=BOUND)))
        try:
            yield url
        finally:
            server.should_exit = True


async def _turns(url: str, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await asyncio.gather(*(http.post("/v1/chat", json=QUESTION, headers=auth()) for _ in range(n)))


def test_slow_turns_overlap_instead_of_queueing(slow_api: str) -> None:
    asyncio.run(_turns(slow_api, 1))  # warm: first-call costs (client, agent graph) out of the timing
    started = time.perf_counter()
    responses = asyncio.run(_turns(slow_api, BOUND))
    wall = time.perf_counter() - started
    assert [r.status_code for r in responses] == [200] * BOUND, [r.text for r in responses]
    assert all(r.json()["actions"][0]["tool"] == "stock_level" for r in responses)
    # Each turn is two model calls (2 x LATENCY); one after the other they would take BOUND times that. Half of
    # it leaves room for the CPU of a busy shared machine (~60 ms per turn) and still fails a serial pool.
    assert wall < BOUND / 2 * (2 * LATENCY), f"{BOUND} concurrent turns took {wall:.2f} s"


def test_beyond_the_bound_a_clean_503_with_retry_after(slow_api: str) -> None:
    responses = asyncio.run(_turns(slow_api, BOUND + 3))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * BOUND + [503] * 3
    refused = [r for r in responses if r.status_code == 503]
    assert all(r.headers["Retry-After"] == "1" and r.json()["error"]["code"] == "unavailable" for r in refused)
    # The slots come back (streamed turns included): a full bound of new turns is served again.
    assert [r.status_code for r in asyncio.run(_turns(slow_api, BOUND))] == [200] * BOUND


def test_gemini_tokens_stream_through_sse_as_they_arrive(slow_api: str) -> None:
    arrivals: list[tuple[str, float]] = []
    started = time.perf_counter()
    headers = {**auth(), "Accept": "text/event-stream"}
    with httpx.stream("POST", f"{slow_api}/v1/chat", json=QUESTION, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: "):
                arrivals.append((line.removeprefix("event: "), time.perf_counter() - started))
    tokens = [t for name, t in arrivals if name == "token"]
    final = next(t for name, t in arrivals if name == "final")
    assert len(tokens) == TEXT_CHUNKS
    # The fake sends its first chunk half-way through the second call and the last at its end: the first token
    # must reach the client well before the final event, not all at once with it.
    assert tokens[0] < final - 0.6 * LATENCY * (TEXT_CHUNKS - 1) / TEXT_CHUNKS, arrivals
    assert tokens[-1] - tokens[0] > 0.3 * LATENCY, arrivals


def test_every_gemini_call_of_a_turn_is_labelled_with_its_organisation(slow_api: str, gemini: FakeGemini) -> None:
    """Google's billing export is joined with ours on this label (terraform/: the billing view)."""
    gemini.labels.clear()
    asyncio.run(_turns(slow_api, 1))
    headers = {**auth("fynbos"), "Accept": "text/event-stream"}  # streamed tokens take the other client path
    httpx.post(f"{slow_api}/v1/chat", json=QUESTION, headers=headers, timeout=30)
    assert gemini.labels[:2] == [{"org_id": "bergveld"}] * 2  # a tool turn: two model calls
    assert gemini.labels[2:] == [{"org_id": "fynbos"}] * 2
