"""Answers composed from tool results: they state only what the results say, and name their sources."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

NOT_FOUND = "I could not find anything about that in the knowledge base, so I won't guess."


def _sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", re.sub(r"^#+\s.*$", " ", text, flags=re.MULTILINE)).strip()
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", text)
    return [p.strip(" -*") for p in parts if len(p.split()) >= 4]


def knowledge_answer(
    question: str, data: dict[str, Any], encode: Callable[[list[str]], np.ndarray], min_similarity: float = 0.35
) -> str:
    """Extract the sentences of the retrieved passages that answer the question best (extractive, so it never
    says more than the passages do); if no passage is close enough, say so."""
    passages = data.get("passages") or []
    if not passages:
        return NOT_FOUND
    vectors = encode([question, *[p["text"] for p in passages]])
    relevance = vectors[1:] @ vectors[0]
    if float(relevance.max()) < min_similarity:
        return NOT_FOUND
    ranked = [passages[i] | {"number": i + 1} for i in np.argsort(-relevance)[:2] if relevance[i] >= min_similarity]
    candidates = [(s, p["number"]) for p in ranked for s in _sentences(p["text"])]
    if not candidates:
        return NOT_FOUND
    sentence_vectors = encode([s for s, _ in candidates])
    scores = sentence_vectors @ vectors[0]
    chosen = sorted(np.argsort(-scores)[:3])
    body = " ".join(f"{candidates[i][0]} [{candidates[i][1]}]" for i in chosen)
    sources = "; ".join(
        f"[{p['number']}] {p['title']}"
        + (f" > {p['heading']}" if p.get("heading") and p["heading"] != p["title"] else "")
        for p in ranked
    )
    return f"{body}\n\nSources: {sources}"
