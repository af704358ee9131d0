"""Feedback on answers: a rating (up or down) with optional reasons and a comment, `orgs/ORG/feedback/ID`.

Invariants: one record per answer and API key, its id `MESSAGE_ID--KEY_ID`; rating again replaces the rating,
reasons and comment, keeps `created_at` and sets `updated_at`. A record carries a copy of the answer it rates
(question, answer, citations, tools, model, the "not found" decision and its judge), so that it still says what
was rated when the answer log has moved on. `expires_at` is the end of its retention counted from the last rating,
which Firestore's TTL policy (collection group `feedback`) acts on. A conversation's feedback goes with it
(`delete_conversation`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from google.cloud import firestore
from pydantic import BaseModel, Field

from domain.answer_log import MESSAGE_ID, AnswerRecord, CitedSource, Surface, delete_where
from domain.errors import InvalidInput
from domain.store import Store, utcnow

COLLECTION = "feedback"
MAX_REASONS = 10
MAX_COMMENT_CHARS = 2000


class Rating(StrEnum):
    up = "up"
    down = "down"


class Reason(StrEnum):
    wrong_figure = "wrong_figure"
    wrong_product = "wrong_product"
    did_not_answer = "did_not_answer"
    outdated = "outdated"  # the article it quotes is out of date
    other = "other"


def feedback_id(message_id: str, key_id: str) -> str:
    for part, name in ((message_id, "message id"), (key_id, "key id")):
        if not MESSAGE_ID.match(part):  # also keeps "/" out of a document path
            raise InvalidInput(f"{part!r} is not a {name} (1 to 64 of A-Z a-z 0-9 _ -)")
    return f"{message_id}--{key_id}"


class Feedback(BaseModel):
    message_id: str = Field(description="The rated answer's `message_id`")
    conversation_id: str
    key_id: str = Field(description="The id (hash) of the key that rated; never the key")
    role: str = Field(description="The rater's role")
    rating: Rating
    reasons: list[Reason] = Field(default_factory=list, max_length=MAX_REASONS)
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)
    # A copy of the rated answer (`domain.answer_log.AnswerRecord`).
    question: str
    answer: str
    citations: list[CitedSource] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    model: str
    surface: Surface
    not_found: bool = False
    judge: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime = Field(description="When the record is deleted (the feedback retention after the rating)")

    @property
    def id(self) -> str:
        return feedback_id(self.message_id, self.key_id)


def _checked(rating: Rating | str, reasons: list[Reason] | list[str], comment: str) -> tuple[Rating, list[Reason]]:
    """The rating and the reasons (each once, in the order given), or InvalidInput saying what to fix."""
    if rating not in set(Rating):
        raise InvalidInput(f"rate an answer {' or '.join(Rating)}, not {rating!r}")
    if len(reasons) > MAX_REASONS:
        raise InvalidInput(f"give at most {MAX_REASONS} reasons (not {len(reasons)})")
    if unknown := [r for r in reasons if r not in set(Reason)]:
        raise InvalidInput(f"unknown reasons {unknown}; use some of: {', '.join(Reason)}")
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"a comment has at most {MAX_COMMENT_CHARS} characters (not {len(comment)})")
    return Rating(rating), list(dict.fromkeys(Reason(r) for r in reasons))


ANSWER_FIELDS = (
    "question",
    "answer",
    "citations",
    "tools",
    "model",
    "not_found",
    "judge",
    "conversation_id",
    "surface",
)


class FeedbackRepository:
    def __init__(self, store: Store, retention_days: int) -> None:
        if retention_days < 1:
            raise InvalidInput(f"keep feedback for at least 1 day (not {retention_days})")
        self.store = store
        self.retention = timedelta(days=retention_days)

    def _col(self, org_id: str) -> firestore.CollectionReference:
        return self.store.col(org_id, COLLECTION)

    def rate(
        self,
        org_id: str,
        answer: AnswerRecord,
        *,
        key_id: str,
        role: str,
        rating: Rating | str,
        reasons: list[Reason] | list[str] | None = None,
        comment: str = "",
    ) -> Feedback:
        """Store this key's rating of `answer` (the organisation's record of it), replacing the key's earlier one."""
        ref = self._col(org_id).document(feedback_id(answer.message_id, key_id))
        rating, unique = _checked(rating, reasons or [], comment)

        def apply(tx: firestore.Transaction) -> Feedback:
            snap = ref.get(transaction=tx)
            now = utcnow()
            created = (snap.to_dict() or {}).get("created_at", now) if snap.exists else now
            record = Feedback(
                **answer.model_dump(include=set(ANSWER_FIELDS)),
                message_id=answer.message_id,
                key_id=key_id,
                role=role,
                rating=rating,
                reasons=unique,
                comment=comment,
                created_at=created,
                updated_at=now,
                expires_at=now + self.retention,
            )
            tx.set(ref, record.model_dump(mode="python"))
            return record

        result: Feedback = self.store.runner.run(apply, lock=[ref.path])
        return result

    def get(self, org_id: str, message_id: str, key_id: str) -> Feedback | None:
        snap = self._col(org_id).document(feedback_id(message_id, key_id)).get()
        return Feedback.model_validate(snap.to_dict() or {}) if snap.exists else None

    def delete_conversation(self, org_id: str, conversation_id: str) -> int:
        """Delete the feedback on the conversation's answers; how many records there were."""
        return delete_where(self.store, org_id, COLLECTION, "conversation_id", conversation_id)
