"""What text of a chunk is embedded and keyword-indexed: its title and heading path give a passage the context a
reader has (a section "Returns" under "Takealot" means Takealot returns), so both legs see them.

The keyword leg sees the title twice (`keyword_text`): a query word in the title says more about what the passage
is about than the same word in its body (BM25F-style field weight by repetition; +0.0055 nDCG@10 on SciFact's
train qrels, BENCHMARKS.md). The dense leg embeds `index_text` as it is (its vectors stay cached by content)."""

from __future__ import annotations

from retrieval.types import Chunk


def index_text(chunk: Chunk) -> str:
    parts = [chunk.title.strip(), " > ".join(h.strip() for h in chunk.heading_path if h.strip()), chunk.text.strip()]
    return "\n".join(part for part in parts if part)


def keyword_text(chunk: Chunk) -> str:
    return "\n".join(part for part in (chunk.title.strip(), index_text(chunk)) if part)
