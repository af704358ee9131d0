"""The chat model of each provider, one code path for the agent: `offline` (default), `vertex`, `openai-compatible`."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import ensure_config
from langchain_core.tools import BaseTool

from assistant.contracts import ORG_LABEL
from assistant.settings import Settings
from domain.batching import Batcher
from retrieval.types import Embedder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class BatchingEncoder:
    """Encodes the texts of concurrent callers in one forward pass (domain.batching: the callers that arrive
    while the model runs queue their texts, and the next one to get the model encodes everything queued). A lone
    caller waits for nobody; under load the batches grow by themselves, and a batch of 8 short texts costs the CPU
    less than half of what 8 single passes do.
    """

    def __init__(self, encode_batch: Callable[[list[str]], np.ndarray], max_batch: int = 64) -> None:
        def run(calls: list[list[str]]) -> list[np.ndarray | Exception]:
            vectors = encode_batch([text for texts in calls for text in texts])
            rows: list[np.ndarray | Exception] = []
            start = 0
            for texts in calls:  # each caller its own rows, in its order
                rows.append(vectors[start : start + len(texts)])
                start += len(texts)
            return rows

        self._batcher: Batcher[list[str], np.ndarray] = Batcher(run, max_batch, size=len)

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self._batcher.submit(texts)


class SentenceEncoder:
    """The offline model's use of the process's one MiniLM (the composition root passes it in, shared with
    retrieval): unit-length sentence embeddings for intent matching, batched across callers, and a token counter."""

    def __init__(self, embedder: Embedder, model: SentenceTransformer) -> None:
        # Encodes go through the search embedder, so both users of the model share its lock and its threads.
        self.encode = BatchingEncoder(lambda texts: embedder.embed_documents(texts))
        # A copy of the model's tokenizer without padding or truncation: the model's own one is reconfigured by
        # every encode call, so counting with it breaks concurrent encodes; the copy is only ever read.
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_str(model.tokenizer.backend_tokenizer.to_str())
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids) if text else 0


def build_chat_model(
    settings: Settings, encoder: Callable[[], SentenceEncoder] | None = None, **client_overrides: Any
) -> BaseChatModel:
    """`encoder` gives the offline model its sentence encoder (called only for that provider: loading the model
    takes seconds). `client_overrides` reach the provider's client as they are (tests use them for a local
    endpoint)."""
    if settings.llm_provider == "offline":
        from assistant.offline.model import OfflineChatModel

        if encoder is None:
            raise ValueError("the offline chat model needs the sentence encoder of the composition root")
        sentences = encoder()
        return OfflineChatModel(encode=sentences.encode, count_tokens=sentences.count_tokens)
    if settings.llm_provider == "vertex":
        import httpx

        return _gemini_class()(
            model=settings.llm_model,
            vertexai=True,
            project=settings.project,
            location=settings.vertex_region,
            temperature=0,
            max_retries=3,
            # httpx keeps 20 idle connections by default: with a hundred turns in flight (app.api.capacity) most
            # calls would open a new TLS connection to Vertex AI. Keep one per concurrent call instead.
            **{"client_args": {"limits": httpx.Limits(max_connections=None, max_keepalive_connections=256)}}
            | client_overrides,
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


@cache
def _gemini_class() -> type[BaseChatModel]:
    """Gemini's client, converting each set of tool schemas once. The agent binds its tools before every model
    call, and the client converts them (BaseTool -> OpenAI dict -> Gemini function declarations) on each bind and
    each request: about 3 ms of CPU per call for the operator's 13 tools, the same result every time."""
    from langchain_google_genai import ChatGoogleGenerativeAI

    class CachedToolsGemini(ChatGoogleGenerativeAI):
        def bind_tools(self, tools: Any, tool_config: Any = None, *, tool_choice: Any = None, **kwargs: Any) -> Any:
            if not all(isinstance(tool, BaseTool) for tool in tools):  # a dict may change: converted each time
                return super().bind_tools(tools, tool_config, tool_choice=tool_choice, **kwargs)
            key = tuple(id(tool) for tool in tools)  # the tools are kept in the cache, so their ids stay theirs
            if (hit := _BOUND_TOOLS.get(key)) is None:
                formatted = super().bind_tools(tools).kwargs["tools"]  # type: ignore[attr-defined]
                _DECLARATIONS[id(formatted)] = (formatted, self._format_tools(formatted))
                hit = _BOUND_TOOLS[key] = (tuple(tools), formatted)
            if tool_choice:  # as the parent does
                kwargs["tool_choice"] = tool_choice
            if tool_config:
                kwargs["tool_config"] = tool_config
            return self.bind(tools=hit[1], **kwargs)

        # Every Vertex AI call carries the organisation as the `org_id` label (from the run's metadata, see
        # assistant.turn), so Google's billing export can be joined with ours for cost and margin per organisation.
        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            return super()._generate(messages, stop, run_manager, **_with_org_label(run_manager, kwargs))

        def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            return super()._stream(messages, stop, run_manager, **_with_org_label(run_manager, kwargs))

        def _format_tools(self, tools: Any = None, functions: Any = None) -> list[Any] | None:
            hit = _DECLARATIONS.get(id(tools))
            if hit is not None and hit[0] is tools and functions is None:  # the very list bound above
                return hit[1]
            return super()._format_tools(tools, functions)

    return CachedToolsGemini


def _with_org_label(run_manager: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    # The run manager carries the run's metadata on invoke; a streamed call may come without one, and then the
    # metadata is the enclosing runnable's (the agent's node, which LangGraph runs with the turn's config).
    metadata = getattr(run_manager, "metadata", None) or ensure_config().get("metadata") or {}
    org = metadata.get(ORG_LABEL)
    if not org or "labels" in kwargs:
        return kwargs
    return kwargs | {"labels": {ORG_LABEL: _label_value(str(org))}}


def _label_value(text: str) -> str:
    """Google's label rule: lower-case letters, digits, `_` and `-`, at most 63 characters."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in text.lower())[:63]


_BOUND_TOOLS: dict[tuple[int, ...], tuple[tuple[BaseTool, ...], list[Any]]] = {}  # tool ids -> the tools, as bound
# id of a bound list -> the list, its declarations
_DECLARATIONS: dict[int, tuple[list[Any], list[Any] | None]] = {}
