"""Knowledge-base answers built from the right passages, with citations that line up.

`knowledge_result` turns a search into what the knowledge-base tool returns:
1. Answerable or not: the best passage must be close enough to the question (`Calibration`, tuned on dev
   questions, answerable and unanswerable: `benchmarks/kb_eval.py`). If not, the result says "not found" and
   names the nearest articles, and cites nothing.
2. The passages to quote: the section (heading path) of the best passage of the best document, whole, so numbered
   steps stay intact and in order (for a how-to question, the document's best passage that holds numbered
   steps); and the same for a second document when it scores close to the first. A section too long to quote is
   its best passage with the passages before and after it.
3. Numbers: passage `number` n is `citations[n-1]`, and the citations are exactly the quoted passages; other
   documents found are listed under "see also" without a number.

`render_answer` writes the answer the offline model gives (other models get the same numbered passages).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.contracts import Citation
from assistant.kb import join_pieces
from retrieval.types import PUBLIC, Audience, Chunk, SearchHit

MAX_SECTION_CHARS = 2500  # longer sections are quoted as the best passage and its neighbours
PASSAGES_PER_DOCUMENT = 3  # candidates for the section to quote
HOW_TO = re.compile(r"\b(how (do|can|should|to)|steps?|set ?up|connect|create|add)\b", re.IGNORECASE)
STEPS = re.compile(r"^\s*1[.)]\s", re.MULTILINE)
SEE_ALSO = 3
NOT_FOUND = "I could not find an answer to that in the knowledge base, so I won't guess."


@dataclass(frozen=True)
class Calibration:
    """When is the best passage an answer? When it is close in meaning to the question (MiniLM cosine at least
    `min_cosine`) and at most `max_novelty` of the question's terms are unknown to the whole knowledge base (an
    unanswerable question usually names something it never mentions: "eBay", "payroll"); or when it is very
    close in meaning alone (`cosine_alone`). A second document is quoted when its fused score is at least
    `second_ratio` of the first's. Tuned on the dev questions (benchmarks/kb_eval.py --tune): the middle of the
    settings that meet both targets there; another embedder needs its own calibration."""

    min_cosine: float = 0.5
    max_novelty: float = 0.5
    cosine_alone: float = 0.65
    second_ratio: float = 0.97


CALIBRATION = Calibration()


def heading_once(title: str, heading_path: Sequence[str]) -> list[str]:
    """The heading path without a leading repeat of the title (an article's `# Title` is its first heading)."""
    path = [h.strip() for h in heading_path if h.strip()]
    return path[1:] if path and path[0].casefold() == title.strip().casefold() else path


def answerable(hit: SearchHit, calibration: Calibration = CALIBRATION) -> bool:
    cosine = hit.dense_score if hit.dense_score is not None else 0.0
    if cosine >= calibration.cosine_alone:
        return True
    return cosine >= calibration.min_cosine and (hit.novelty or 0.0) <= calibration.max_novelty


def quoted_section(document: Sequence[Chunk], best: str) -> str:
    """The whole section of the passage `best`, or the passage and its neighbours if the section is too long."""
    position = next((i for i, c in enumerate(document) if c.chunk_id == best), None)
    if position is None:
        return ""
    path = document[position].heading_path
    start = position
    while start > 0 and document[start - 1].heading_path == path:
        start -= 1
    end = position
    while end + 1 < len(document) and document[end + 1].heading_path == path:
        end += 1
    section = join_pieces([c.text for c in document[start : end + 1]])
    if len(section) <= MAX_SECTION_CHARS:
        return section
    return join_pieces([c.text for c in document[max(start, position - 1) : min(end, position + 1) + 1]])


def _citation(hit: SearchHit, snippet: str) -> Citation:
    return Citation(
        source=hit.source,
        doc_id=hit.doc_id,
        title=hit.title,
        heading_path=heading_once(hit.title, hit.heading_path),
        snippet=re.sub(r"\s+", " ", snippet).strip()[:200],
    )


def knowledge_result(
    searcher: Any,
    org_id: str,
    question: str,
    audiences: Sequence[Audience] = PUBLIC,
    k: int = 5,
    calibration: Calibration = CALIBRATION,
) -> tuple[dict[str, Any], list[Citation]]:
    """What the knowledge-base tool returns for a how-to question: data for the model and the citations."""
    found: list[SearchHit] = searcher.search(
        org_id, question, k=k, doc_type="kb", audiences=tuple(audiences), per_document=PASSAGES_PER_DOCUMENT
    )
    best_of: dict[str, SearchHit] = {}
    for hit in found:  # each document's best passage, best document first
        best_of.setdefault(hit.doc_id, hit)
    hits = list(best_of.values())
    if not hits or not answerable(hits[0], calibration):
        nearest = [{"title": h.title, "doc_id": h.doc_id} for h in hits[:SEE_ALSO]]
        return {"query": question, "found": False, "passages": [], "nearest": nearest}, []
    quoted = [hits[0]]
    if len(hits) > 1 and hits[1].score >= calibration.second_ratio * hits[0].score and answerable(hits[1], calibration):
        quoted.append(hits[1])
    passages, citations = [], []
    for number, best in enumerate(quoted, start=1):
        document = searcher.document(org_id, best.doc_id, tuple(audiences))
        hit = best
        if HOW_TO.search(question):  # a how-to question: the document's best passage that is a list of steps
            candidates = [h for h in found if h.doc_id == best.doc_id]
            hit = next((h for h in candidates if STEPS.search(quoted_section(document, h.chunk_id))), best)
        text = quoted_section(document, hit.chunk_id) or hit.text
        citation = _citation(hit, text)
        passages.append(
            {
                "number": number,
                "doc_id": hit.doc_id,
                "source": hit.source,
                "title": hit.title,
                "heading": " > ".join(citation.heading_path),
                "text": text,
            }
        )
        citations.append(citation)
    see_also = [{"title": h.title, "doc_id": h.doc_id} for h in hits[len(quoted) :][:SEE_ALSO]]
    return {"query": question, "found": True, "passages": passages, "see_also": see_also}, citations


def render_answer(data: dict[str, Any]) -> str:
    """The offline model's answer: each quoted section under its title and heading with its marker, then
    "see also"; or "not found" with the nearest articles."""
    passages = data.get("passages") or []
    if not passages:
        nearest = data.get("nearest") or []
        if not nearest:
            return NOT_FOUND
        return NOT_FOUND + " The nearest articles are: " + "; ".join(n["title"] for n in nearest) + "."
    blocks = []
    for passage in passages:
        label = " > ".join(filter(None, [passage["title"], passage.get("heading")]))
        blocks.append(f"**{label}** [{passage['number']}]\n\n{passage['text'].strip()}")
    answer = "\n\n".join(blocks)
    if see_also := data.get("see_also"):
        answer += "\n\nSee also: " + "; ".join(s["title"] for s in see_also) + "."
    return answer
