"""The cloud and local-LLM providers through the same service path, offline.

Each test starts a small local HTTP server that is a FAKE of the provider's API (Vertex AI `generateContent` /
`streamGenerateContent` in the google-genai dialect; OpenAI `chat/completions`), replaying recorded-shape replies:
first a tool call, then a final answer, each with usage. The real client libraries (langchain-google-genai with
the Vertex AI backend, langchain-openai) build and send real payloads to it and parse its replies, so the agent
loop, tool execution, citations and billing are exercised exactly as in production."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from app.wiring import Services
from assistant.contracts import ChatRequest
from assistant.models import build_chat_model
from assistant.pricing import cost_mc, model_price
from assistant.service import ChatService
from assistant.tools import ALL_TOOLS
from domain.credits import EntryKind
from tests.assistant.conftest import principal

Reply = Callable[[dict[str, Any]], dict[str, Any]]


class FakeApi:
    """Answers POSTs with scripted JSON replies (or SSE when the path asks for a stream); records requests."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = iter(replies)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                fake.requests.append((self.path, body))
                reply = next(fake.replies)(body)
                streaming = "alt=sse" in self.path or body.get("stream")
                payload = (
                    "".join(f"data: {json.dumps(part)}\n\n" for part in reply.get("_events", [reply]))
                    + ("data: [DONE]\n\n" if body.get("stream") else "")
                    if streaming
                    else json.dumps(reply)
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream" if streaming else "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeApi:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


# Vertex AI (Gemini) ----------------------------------------------------------------------------------------


def gemini(parts: list[dict[str, Any]], prompt_tokens: int, output_tokens: int) -> Reply:
    return lambda _: {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens,
        },
        "modelVersion": "gemini-2.5-flash",
    }


@pytest.fixture
def vertex_api() -> Iterator[FakeApi]:
    call = {"functionCall": {"name": "stock_level", "args": {"product": "BV-TENT-0020", "warehouse": "CPT"}}}
    replies = [
        gemini([call], 812, 23),
        gemini([{"text": "Cape Town holds the tents you asked about [product:BV-TENT-0020]."}], 1020, 17),
    ]
    with FakeApi(replies) as api:
        yield api


def test_gemini_on_vertex_runs_the_agent_and_is_billed_from_its_usage(services: Services, vertex_api: FakeApi) -> None:
    settings = services.settings.model_copy(update={"llm_provider": "vertex", "llm_model": "gemini-2.5-flash"})
    model = build_chat_model(settings, base_url=vertex_api.url, credentials=Credentials(token="test-token"))
    chat = ChatService(settings, services, model=model)
    before = services.credits.account("bergveld").balance_mc

    response = chat.chat(principal(), ChatRequest(message="How many BV-TENT-0020 in Cape Town?"), "vertex-req-1")

    assert [(a.tool, a.args, a.status) for a in response.actions] == [
        ("stock_level", {"product": "BV-TENT-0020", "warehouse": "CPT"}, "executed")
    ]
    assert response.answer.startswith("Cape Town holds") and response.citations[0].source == "product:BV-TENT-0020"
    # The real client sent real Vertex AI requests: the model path, the tools, then the tool's result.
    paths = [path for path, _ in vertex_api.requests]
    assert all(
        "/projects/" in p and "/locations/europe-west4/publishers/google/models/gemini-2.5-flash:" in p for p in paths
    ), paths
    first, second = (body for _, body in vertex_api.requests)
    declared = {f["name"] for tool in first["tools"] for f in tool["functionDeclarations"]}
    assert {"stock_level", "transfer_stock", "search_knowledge_base"} <= declared
    properties = {
        name
        for tool in first["tools"]
        for f in tool["functionDeclarations"]
        for name in f.get("parameters", {}).get("properties", {})
    }
    assert "sku" in properties and not {"org", "org_id", "organisation", "runtime"} & properties
    # The schemas are converted once per tool set (assistant.models): the second call declares exactly the same.
    assert second["tools"] == first["tools"]
    responses = [p["functionResponse"] for c in second["contents"] for p in c["parts"] if "functionResponse" in p]
    assert responses and responses[0]["name"] == "stock_level"
    # Billed at Gemini's price from the usage the API reported.
    price = model_price("vertex", "gemini-2.5-flash")
    expected = cost_mc(price, 812 + 1020, 23 + 17, 1, 0)
    assert (response.usage.input_tokens, response.usage.output_tokens) == (1832, 40)
    assert services.credits.account("bergveld").balance_mc == before - expected
    settle = services.credits.ledger("bergveld", kind=EntryKind.settle)[0]
    assert settle.request_id == "vertex-req-1" and settle.details["model"] == "gemini-2.5-flash"


def test_gemini_write_proposal_waits_for_confirmation(services: Services) -> None:
    call = {
        "functionCall": {
            "name": "transfer_stock",
            "args": {"sku": "BV-TENT-0021", "from_warehouse": "JHB", "to_warehouse": "DBN", "quantity": 2},
        }
    }
    with FakeApi([gemini([call], 700, 30)]) as api:
        settings = services.settings.model_copy(update={"llm_provider": "vertex", "llm_model": "gemini-2.5-flash"})
        model = build_chat_model(settings, base_url=api.url, credentials=Credentials(token="t"))
        before = services.inventory.level("bergveld", "BV-TENT-0021", "JHB").available
        response = ChatService(settings, services, model=model).chat(
            principal(), ChatRequest(message="move 2 of BV-TENT-0021 from JHB to DBN"), "vertex-req-2"
        )
    assert response.pending_confirmation is not None
    assert response.pending_confirmation.summary.startswith("Move 2 x BV-TENT-0021 from JHB to DBN")
    assert services.inventory.level("bergveld", "BV-TENT-0021", "JHB").available == before


# OpenAI-compatible servers (llama.cpp, Ollama, vLLM) ---------------------------------------------------------


def openai(message: dict[str, Any], prompt_tokens: int, output_tokens: int) -> Reply:
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": prompt_tokens + output_tokens,
    }

    def reply(body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("stream"):
            return {
                "id": "c1",
                "object": "chat.completion",
                "model": "local-model",
                "usage": usage,
                "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}],
            }
        delta = {"role": "assistant", **message}
        if "tool_calls" in delta:
            delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(delta["tool_calls"])]
        chunk = {"id": "c1", "object": "chat.completion.chunk", "model": "local-model"}
        return {
            "_events": [
                {**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
                {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                {**chunk, "choices": [], "usage": usage},
            ]
        }

    return reply


def test_openai_compatible_server_runs_the_same_agent(services: Services) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_order", "arguments": json.dumps({"order_number": 1042})},
    }
    replies = [
        openai({"content": None, "tool_calls": [call]}, 500, 20),
        openai({"content": "Order 1042 is on its way."}, 640, 9),
    ]
    with FakeApi(replies) as api:
        settings = services.settings.model_copy(
            update={"llm_provider": "openai-compatible", "llm_model": "local-model", "openai_base_url": api.url + "/v1"}
        )
        chat = ChatService(settings, services, model=build_chat_model(settings))
        response = chat.chat(principal(), ChatRequest(message="where is order 1042?"), "openai-req-1")
    assert [(a.tool, a.status) for a in response.actions] == [("get_order", "executed")]
    assert response.answer == "Order 1042 is on its way." and response.citations[0].source == "order:1042"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (1140, 29)
    assert api.requests[0][0] == "/v1/chat/completions"


def test_gemini_converts_each_tool_set_once_and_as_its_client_would(services: Services) -> None:
    from langchain_google_genai import ChatGoogleGenerativeAI

    settings = services.settings.model_copy(update={"llm_provider": "vertex", "llm_model": "gemini-2.5-flash"})
    client = {"base_url": "http://127.0.0.1:9", "credentials": Credentials(token="t")}  # never called
    model: Any = build_chat_model(settings, **client)
    plain = ChatGoogleGenerativeAI(model="gemini-2.5-flash", vertexai=True, project=settings.project, **client)
    first, again = model.bind_tools(ALL_TOOLS), model.bind_tools(ALL_TOOLS, tool_choice="any")
    assert first.kwargs["tools"] is again.kwargs["tools"] and again.kwargs["tool_choice"] == "any"
    expected = plain._format_tools(plain.bind_tools(ALL_TOOLS).kwargs["tools"])
    assert model._format_tools(first.kwargs["tools"]) == expected
    assert model._format_tools(first.kwargs["tools"]) is model._format_tools(again.kwargs["tools"])
    support = model.bind_tools(ALL_TOOLS[:1]).kwargs["tools"]  # another tool set: its own conversion
    assert [f.name for f in model._format_tools(support)[0].function_declarations] == [ALL_TOOLS[0].name]
