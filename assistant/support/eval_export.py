"""Real questions as eval cases: JSONL for `fluxori eval agent` (format "agent") and for benchmarks/kb_eval.py
(format "kb"), with what a right answer is left for a person to write, and marked so.

- agent: `{"id", "org", "role", "turns": [question], "expect": {"answer_contains": [REVIEW]}, "needs_review":
  true, "source": {...}}`. `assistant.evaluation.Case` ignores keys it does not know, so `needs_review` and
  `source` (what was asked and answered, for the reviewer) load as they are. The placeholder expectation is on
  purpose: `"expect": {}` would pass every case unread, while this one fails, naming what to do, until a person
  writes the real expectation (tools, args, answer_contains) and drops `needs_review`.
- kb: `{"split": "review", "query", "doc": null, "needs_review": true, "source": {...}}`. kb_eval reads
  `split`, `query` and `doc` and scores only its own splits (dev, para, near, test), so a row nobody has reviewed
  is never scored, above all never as an unanswerable question (`doc: null` means exactly that there). The
  reviewer sets `doc` to the article's id (or leaves null for a gap in the help centre) and `split` to one kb_eval
  scores.
Questions asked in the same words (`question_key`) give one line, the most recent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Literal

from assistant.support.questions import AskedQuestion, question_key
from domain.errors import InvalidInput

Format = Literal["agent", "kb"]
FORMATS: tuple[Format, ...] = ("agent", "kb")
REVIEW = "NEEDS REVIEW: write what the answer must contain (and the tools and args), then drop needs_review"
REVIEW_SPLIT = "review"
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")


def case_id(message_id: str) -> str:
    """A case id from a message id: stable, so exporting twice gives the same ids, and plain for a shell."""
    return "real-" + _UNSAFE_ID.sub("-", message_id).strip("-")


def agent_case(question: AskedQuestion, org: str) -> dict[str, Any]:
    return {
        "id": case_id(question.message_id),
        "org": org,
        "role": question.role,
        "turns": [question.question],
        "expect": {"answer_contains": [REVIEW]},
        "needs_review": True,
        "source": _source(question),
    }


def kb_query(question: AskedQuestion) -> dict[str, Any]:
    return {
        "split": REVIEW_SPLIT,
        "query": question.question,
        "doc": None,
        "needs_review": True,
        "source": _source(question),
    }


def export_jsonl(questions: Iterable[AskedQuestion], fmt: Format, *, org: str) -> str:
    """One JSON object a line (newest question first), each line ending in a newline; "" for no questions.
    `org` is the organisation the agent cases run under (the eval's demo data, not necessarily the asker's)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "agent" and not org.strip():
        raise InvalidInput("give the organisation the agent cases run under (e.g. bergveld)")
    rows = [agent_case(q, org) if fmt == "agent" else kb_query(q) for q in _distinct(questions)]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _distinct(questions: Iterable[AskedQuestion]) -> list[AskedQuestion]:
    seen: dict[str, AskedQuestion] = {}
    for q in sorted(questions, key=lambda q: q.at, reverse=True):
        seen.setdefault(question_key(q.question), q)
    return list(seen.values())


def _source(question: AskedQuestion) -> dict[str, Any]:
    """What the reviewer needs to judge the case: when and where it was asked, and what became of the answer."""
    return {
        "message_id": question.message_id,
        "at": question.at.isoformat(),
        "surface": question.surface,
        "not_found": question.not_found,
        "rating": question.rating,
        "reasons": list(question.reasons),
        "answer": question.answer,
    }
