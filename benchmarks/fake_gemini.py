"""A local FAKE of Gemini on Vertex AI (`generateContent` and `streamGenerateContent?alt=sse`) that takes as long
as a real model, for the load benchmark and the API's capacity tests.

Nothing real can run offline here, so this stands in for the service, not for the client: the server under test
uses the real `langchain-google-genai` client library, pointed here with `base_url`. Each call answers after
`latency` seconds, shaped like the real API (see /work/shared/google-offline.md): a turn's first call returns a
`functionCall` (one chunk, at the end, as Gemini sends one), the call that carries the tool's `functionResponse`
streams its text in several chunks, the first after `first_token_fraction` of the latency. Every reply has
`usageMetadata` and `modelVersion` (LangChain's usage callback, hence billing, needs both). So a tool turn costs
two model calls: `2 x latency` of model time, the first streamed token `latency x (1 + first_token_fraction)`
after the turn starts.

The tool is picked from the declared ones by a few keywords of the user's message (a crude "model": the point is
the timing and the Firestore work of real tools, not the choice).

Run alone: `python benchmarks/fake_gemini.py --port 18156 --latency 1`; in tests: `with FakeGemini(0.5) as url:`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings

MODEL_VERSION = "gemini-2.5-flash"
TEXT_CHUNKS = 6
SKU = re.compile(r"\b[A-Z]{2}-[A-Z]+-\d{4}\b")
ORDER = re.compile(r"\border (\d+)")


def pick_tool(message: str, declared: set[str]) -> tuple[str, dict[str, Any]] | None:
    """The first rule whose tool is declared (a support key's agent declares only the knowledge base)."""
    text = message.lower()
    sku, order = SKU.search(message), ORDER.search(text)
    rules: list[tuple[bool, str, dict[str, Any]]] = [
        (bool(sku), "stock_level", {"product": sku.group(0) if sku else ""}),
        (bool(order), "get_order", {"order_number": int(order.group(1)) if order else 0}),
        ("low" in text, "low_stock_report", {}),
        ("sales" in text, "sales_summary", {}),
        ("shipment" in text, "list_shipments", {}),
        ("credit" in text, "credits_balance", {}),
        ("orders" in text, "list_orders", {}),
        (True, "search_knowledge_base", {"query": message}),
        (True, "credits_balance", {}),
    ]
    return next(((name, args) for ok, name, args in rules if ok and name in declared), None)


def _user_text(contents: list[dict[str, Any]]) -> str:
    for content in reversed(contents):
        texts = [p["text"] for p in content.get("parts", []) if "text" in p]
        if content.get("role") == "user" and texts:
            return " ".join(texts)
    return ""


def _reply(parts: list[dict[str, Any]], prompt_tokens: int, output_tokens: int, last: bool) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "candidates": [{"content": {"role": "model", "parts": parts}, "index": 0}],
        "modelVersion": MODEL_VERSION,
    }
    if last:  # usage and the finish reason come with the last chunk
        reply["candidates"][0]["finishReason"] = "STOP"
        reply["usageMetadata"] = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens,
        }
    return reply


class FakeGemini:
    def __init__(self, latency: float, first_token_fraction: float = 0.5) -> None:
        self.latency = latency
        self.first_token_fraction = first_token_fraction
        self.calls = 0
        self.labels: list[dict[str, str] | None] = []  # each call's `labels` (the service labels calls by org)
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        self._server: uvicorn.Server | None = None

    @property
    def first_token_seconds(self) -> float:
        """When a text call sends its first chunk, after the call starts."""
        return self.latency * self.first_token_fraction

    def answer(self, body: dict[str, Any]) -> tuple[list[list[dict[str, Any]]], int]:
        """The reply's chunks (each a list of parts) and the prompt's token count (words, roughly)."""
        contents = body.get("contents", [])
        prompt_tokens = len(json.dumps(body)) // 4
        last_parts = contents[-1].get("parts", []) if contents else []
        responses = [p["functionResponse"] for p in last_parts if "functionResponse" in p]
        declared = {f["name"] for tool in body.get("tools", []) for f in tool.get("functionDeclarations", [])}
        choice = None if responses else pick_tool(_user_text(contents), declared)
        if choice is not None:
            return [[{"functionCall": {"name": choice[0], "args": choice[1]}}]], prompt_tokens
        found = json.dumps(responses[0].get("response", {}))[:200] if responses else "nothing to look up"
        words = f"Here is what I found for you, from the tools of this organisation: {found}".split(" ")
        size = -(-len(words) // TEXT_CHUNKS)
        chunks = [" ".join(words[i : i + size]) + " " for i in range(0, len(words), size)]
        return [[{"text": chunk}] for chunk in chunks], prompt_tokens

    async def _handle(self, request: Request) -> Response:
        self.calls += 1
        started = time.monotonic()
        body = await request.json()
        self.labels.append(body.get("labels"))
        chunks, prompt_tokens = self.answer(body)
        output_tokens = sum(len(json.dumps(parts)) // 4 for parts in chunks)
        if "streamGenerateContent" not in request.url.path:
            await asyncio.sleep(self.latency)
            parts = [p for chunk in chunks for p in chunk]
            return JSONResponse(_reply(parts, prompt_tokens, output_tokens, last=True))
        # A function call arrives whole at the end; text starts at the first-token time and ends at `latency`.
        first = self.latency if len(chunks) == 1 else self.first_token_seconds
        step = (self.latency - first) / max(1, len(chunks) - 1)

        async def events() -> AsyncIterator[bytes]:
            for i, parts in enumerate(chunks):
                await asyncio.sleep(max(0.0, started + first + i * step - time.monotonic()))
                reply = _reply(parts, prompt_tokens, output_tokens, last=i == len(chunks) - 1)
                yield f"data: {json.dumps(reply)}\r\n\r\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    def __enter__(self) -> str:
        """Serves on a free loopback port in a thread; returns the base URL."""
        self._server, url = serve_in_thread(self.app)
        return url

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True


def serve_in_thread(app: Any) -> tuple[uvicorn.Server, str]:
    """An ASGI app served by uvicorn on a free loopback port in a daemon thread (set `should_exit` to stop)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def chat_model_for(url: str, settings: Settings) -> BaseChatModel:
    """The product's Gemini client (`assistant.models.build_chat_model`, provider vertex) pointed at `url`."""
    from google.oauth2.credentials import Credentials

    from assistant.models import build_chat_model

    vertex = settings.model_copy(update={"llm_provider": "vertex", "llm_model": MODEL_VERSION})
    return build_chat_model(vertex, base_url=url, credentials=Credentials(token="fake-gemini"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per model call")
    parser.add_argument("--first-token-fraction", type=float, default=0.5)
    args = parser.parse_args()
    fake = FakeGemini(args.latency, args.first_token_fraction)
    # uvicorn drops idle keep-alive connections after 5 s, while the client may just be reusing one: a race the
    # real API's front ends (minutes of keep-alive) make rare. Keep them as long as a benchmark runs.
    uvicorn.run(
        fake.app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, timeout_keep_alive=600
    )


if __name__ == "__main__":
    main()
