"""A question someone asked and what became of its answer, and the selections the Questions report offers.

`AskedQuestion` is deliberately small: the stored answer record holds much more (citations, tools, judge
scores), and whoever reads those records builds one of these from it, so the report and the export never depend
on how answers are stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.errors import InvalidInput

Surface = Literal["chat", "kb"]
Rating = Literal["up", "down"]
Kind = Literal["unanswered", "thumbs_down", "top"]
AskerRole = Literal["merchant", "support", "admin"]  # the values of domain.orgs.Role, without importing Firestore


class AskedQuestion(BaseModel):
    """One answered question. `at` is timezone-aware (records from different processes must compare);
    `rating` is None until someone rates the answer."""

    model_config = ConfigDict(frozen=True)

    message_id: str = Field(min_length=1)
    question: str
    at: AwareDatetime
    role: AskerRole
    surface: Surface
    not_found: bool = False
    rating: Rating | None = None
    reasons: tuple[str, ...] = ()
    answer: str = ""


def question_key(text: str) -> str:
    """What makes two questions the same question: the text with case and runs of whitespace folded."""
    return " ".join(text.casefold().split())


def unanswered(questions: Iterable[AskedQuestion]) -> list[AskedQuestion]:
    """The questions the "not found" judge gave up on."""
    return [q for q in questions if q.not_found]


def thumbs_down(questions: Iterable[AskedQuestion]) -> list[AskedQuestion]:
    """The questions whose answer someone rated down."""
    return [q for q in questions if q.rating == "down"]


def top(questions: Iterable[AskedQuestion]) -> list[AskedQuestion]:
    """Every question: grouped, the biggest groups are the most asked topics."""
    return list(questions)


KINDS: dict[Kind, Callable[[Iterable[AskedQuestion]], list[AskedQuestion]]] = {
    "unanswered": unanswered,
    "thumbs_down": thumbs_down,
    "top": top,
}


def select(
    questions: Iterable[AskedQuestion],
    kind: Kind,
    *,
    since: datetime | None = None,
    role: AskerRole | None = None,
) -> list[AskedQuestion]:
    """The report's filters in one place: the kind, then asked at or after `since`, then asked by `role`."""
    if kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    chosen = KINDS[kind](questions)
    return [q for q in chosen if (since is None or q.at >= since) and (role is None or q.role == role)]
