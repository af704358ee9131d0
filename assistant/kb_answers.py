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
4. The judge: found or not, `judge` holds the decision's score and features (`judge()`), which the answer log
   keeps so that "not found" can be reviewed.

`render_answer` writes the answer the offline model gives (other models get the same numbered passages).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from assistant.contracts import Citation
from assistant.kb import join_pieces
from retrieval.keyword import tokenize
from retrieval.types import PUBLIC, Audience, Chunk, SearchHit, SearchService

MAX_SECTION_CHARS = 2500  # longer sections are quoted as the best passage and its neighbours
PASSAGES_PER_DOCUMENT = 3  # candidates for the section to quote
HOW_TO = re.compile(r"\b(how (do|can|should|to)|steps?|set ?up|connect|create|add)\b", re.IGNORECASE)
STEPS = re.compile(r"^\s*1[.)]\s", re.MULTILINE)
SEE_ALSO = 3
NOT_FOUND = "I could not find an answer to that in the knowledge base, so I won't guess."


FEATURES = ("cosine", "coverage", "keyword", "agreement")


@dataclass(frozen=True)
class Calibration:
    """When is the best passage an answer? A logistic model over four features of the search (`answer_features`):
    the best passage's MiniLM cosine to the question; the share of the question's content words (English stop
    words removed) the passage contains, title and headings included; its BM25 score over the question's highest
    possible one (a question about words the knowledge base never uses, "eBay", "payroll", cannot score high); and
    how far the dense leg's best document is down the BM25 order of the documents found (1 when both legs put the
    same document first). The answer is given when `bias + weights . features >= 0`. Fitted on the dev questions of
    three help centres written in different styles (`benchmarks/kb_eval.py --tune`: logistic regression, features
    chosen by leaving one help centre out, then the bias set to the most answering threshold that still says "not
    found" to 90% of the unanswerable dev questions); the near misses and the fibre help centre came later and are
    measured, not fitted (BENCHMARKS.md: no offline feature separates near misses well enough to refit for them).
    Another embedder needs its own fit. A second document is quoted when its fused score is at least
    `second_ratio` of the first's."""

    weights: tuple[float, float, float, float] = (3.75, 2.2498, 4.1841, 2.012)  # C=0.1 in `--tune`
    bias: float = -5.0619
    second_ratio: float = 0.97


CALIBRATION = Calibration()


def heading_once(title: str, heading_path: Sequence[str]) -> list[str]:
    """The heading path without a leading repeat of the title (an article's `# Title` is its first heading)."""
    path = [h.strip() for h in heading_path if h.strip()]
    return path[1:] if path and path[0].casefold() == title.strip().casefold() else path


def _terms(text: str) -> set[str]:
    return set(tokenize([text])[0])


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """English stop words as the keyword leg's tokens (stemmed): "how", "can", "my" say nothing about the subject
    (the tokenizer's own list is short)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(_terms(" ".join(ENGLISH_STOP_WORDS)))


def content_terms(question: str) -> set[str]:
    """The question's stemmed terms without stop words (all of them if nothing else is left)."""
    terms = _terms(question)
    return (terms - _stop_words()) or terms


def best_per_document(found: Sequence[SearchHit]) -> list[SearchHit]:
    """Each document's best passage, best document first (search returns several passages per document)."""
    best_of: dict[str, SearchHit] = {}
    for hit in found:
        best_of.setdefault(hit.doc_id, hit)
    return list(best_of.values())


def answer_features(question: str, hits: Sequence[SearchHit]) -> tuple[float, float, float, float]:
    """`FEATURES` of the best hit of `hits` (one per document, best first)."""
    top = hits[0]
    cosine = top.dense_score if top.dense_score is not None else 0.0
    terms = content_terms(question)
    passage = _terms("\n".join([top.title, *top.heading_path, top.text]))
    coverage = len(terms & passage) / len(terms) if terms else 0.0
    keyword = (top.keyword_score or 0.0) / top.keyword_ceiling if top.keyword_ceiling else 0.0
    dense_first = max(hits, key=lambda h: h.dense_score if h.dense_score is not None else float("-inf"))
    by_keyword = [h.doc_id for h in sorted(hits, key=lambda h: -(h.keyword_score or 0.0)) if h.keyword_score]
    agreement = 1 / (by_keyword.index(dense_first.doc_id) + 1) if dense_first.doc_id in by_keyword else 0.0
    return cosine, coverage, keyword, agreement


def answer_score(question: str, hits: Sequence[SearchHit], calibration: Calibration = CALIBRATION) -> float:
    """The model's log-odds that the best hit answers the question; >= 0 means answer."""
    if not hits:
        return float("-inf")
    features = answer_features(question, hits)
    return calibration.bias + sum(w * x for w, x in zip(calibration.weights, features, strict=True))


def judge(question: str, hits: Sequence[SearchHit], calibration: Calibration = CALIBRATION) -> dict[str, Any]:
    """The "not found" decision's evidence, as the answer log keeps it: `{"score": answer_score, "features":
    {FEATURES name: value}}`; with nothing found there is nothing to score (`score` None, no features)."""
    if not hits:
        return {"score": None, "features": {}}
    features = answer_features(question, hits)
    return {"score": answer_score(question, hits, calibration), "features": dict(zip(FEATURES, features, strict=True))}


def answerable(question: str, hits: Sequence[SearchHit], calibration: Calibration = CALIBRATION) -> bool:
    return answer_score(question, hits, calibration) >= 0


def judged_search(
    searcher: SearchService, org_id: str, question: str, audiences: Sequence[Audience] = PUBLIC, k: int = 5
) -> tuple[list[SearchHit], list[SearchHit]]:
    """The search the answer is judged on: every passage found (a few per document) and each document's best."""
    found: list[SearchHit] = searcher.search(
        org_id, question, k=k, doc_type="kb", audiences=tuple(audiences), per_document=PASSAGES_PER_DOCUMENT
    )
    return found, best_per_document(found)


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
    searcher: SearchService,
    org_id: str,
    question: str,
    audiences: Sequence[Audience] = PUBLIC,
    k: int = 5,
    calibration: Calibration = CALIBRATION,
) -> tuple[dict[str, Any], list[Citation]]:
    """What the knowledge-base tool returns for a how-to question: data for the model and the citations."""
    found, hits = judged_search(searcher, org_id, question, audiences, k)
    scores = judge(question, hits, calibration)
    if not answerable(question, hits, calibration):
        nearest = [{"title": h.title, "doc_id": h.doc_id} for h in hits[:SEE_ALSO]]
        return {"query": question, "found": False, "passages": [], "nearest": nearest, "judge": scores}, []
    quoted = [hits[0]]
    second = hits[1:]  # quoted too when it scores close to the first and would be an answer on its own
    if (
        second
        and second[0].score >= calibration.second_ratio * hits[0].score
        and answerable(question, second, calibration)
    ):
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
    return {"query": question, "found": True, "passages": passages, "see_also": see_also, "judge": scores}, citations


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
