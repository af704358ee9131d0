"""What text of a chunk is embedded and keyword-indexed: its title and heading path give a passage the context a
reader has (a section "Returns" under "Takealot" means Takealot returns), so both legs see them."""

from __future__ import annotations

from retrieval.types import Chunk


def index_text(chunk: Chunk) -> str:
    parts = [chunk.title.strip(), " > ".join(h.strip() for h in chunk.heading_path if h.strip()), chunk.text.strip()]
    return "\n".join(part for part in parts if part)
