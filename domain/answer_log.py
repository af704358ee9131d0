"""The answer log: one record per answer the assistant gave, `orgs/ORG/answer_log/MESSAGE_ID`.

What was asked (the user's message, or for the answer after an approve/reject the summary of the proposal), what
was answered with its citations and tools, by which model, on which surface (`chat`, or `kb` for support staff's
knowledge-base answers), for which role and key, and the knowledge base's "not found" decision with the judge's
scores. Feedback on an answer copies it (`domain.feedback`); the questions report reads it (`since`).

Invariants: the document id is the answer's `message_id`, so an answer is recorded at most once (a second `record`
of the same id replaces it with the same content); every record carries `expires_at`, the end of its retention,
which Firestore's TTL policy (collection group `answer_log`) acts on; a conversation's records go with it
(`delete_conversation`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Literal

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from domain.errors import InvalidInput, NotFound
from domain.store import Store, utcnow

COLLECTION = "answer_log"
MAX_SINCE = 10_000
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DELETE_BATCH = 400  # Firestore takes at most 500 writes per batch

Surface = Literal["chat", "kb"]


class CitedSource(BaseModel):
    """What an answer cited, enough to find it again (the snippet is in the answer)."""

    source: str
    title: str
    doc_id: str = ""


class AnswerRecord(BaseModel):
    message_id: str = Field(pattern=MESSAGE_ID.pattern)
    conversation_id: str
    question: str = Field(description="The user's message; for the answer to a decision, the proposal's summary")
    answer: str
    citations: list[CitedSource] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list, description="The tools that ran or were refused, in order")
    model: str
    surface: Surface
    role: str
    key_id: str
    not_found: bool = Field(default=False, description="The help centre was searched and every search found no answer")
    judge: dict[str, Any] | None = Field(
        default=None, description="The last help-centre search's judge: {score, features}; null without one"
    )
    at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None  # set by `AnswerLogRepository.record` from its retention


def _check_message_id(message_id: str) -> None:
    if not MESSAGE_ID.match(message_id):  # also keeps "/" out of a document path
        raise InvalidInput(f"{message_id!r} is not a message id (1 to 64 of A-Z a-z 0-9 _ -)")


def delete_where(store: Store, org_id: str, collection: str, field: str, value: str) -> int:
    """Delete the documents of the organisation's `collection` whose `field` is `value`; how many went."""
    query = store.col(org_id, collection).where(filter=FieldFilter(field, "==", value))
    deleted = 0
    while True:  # a page at a time, so that a long conversation never needs one huge read
        refs = [snap.reference for snap in query.limit(DELETE_BATCH).stream()]
        if not refs:
            return deleted
        batch = store.client.batch()
        for ref in refs:
            batch.delete(ref)
        batch.commit()
        deleted += len(refs)


class AnswerLogRepository:
    def __init__(self, store: Store, retention_days: int) -> None:
        if retention_days < 1:
            raise InvalidInput(f"keep answer records for at least 1 day (not {retention_days})")
        self.store = store
        self.retention = timedelta(days=retention_days)

    def _col(self, org_id: str) -> firestore.CollectionReference:
        return self.store.col(org_id, COLLECTION)

    def record(self, org_id: str, record: AnswerRecord) -> AnswerRecord:
        """Store `record` under its message id; returns it with its `expires_at`."""
        stored = record.model_copy(update={"expires_at": record.at + self.retention})
        self._col(org_id).document(stored.message_id).set(stored.model_dump(mode="python"))
        return stored

    def get(self, org_id: str, message_id: str) -> AnswerRecord:
        """The organisation's record of `message_id`; NotFound when it has none (whoever else may have one)."""
        _check_message_id(message_id)
        snap = self._col(org_id).document(message_id).get()
        if not snap.exists:
            raise NotFound(f"there is no answer with message id {message_id!r} in this organisation")
        return AnswerRecord.model_validate(snap.to_dict() or {})

    def since(self, org_id: str, start: datetime, limit: int = 1000) -> list[AnswerRecord]:
        """The records from `start` on, newest first, at most `limit`."""
        if not 1 <= limit <= MAX_SINCE:
            raise InvalidInput(f"ask for 1 to {MAX_SINCE} answer records (not {limit})")
        query = (
            self._col(org_id)
            .where(filter=FieldFilter("at", ">=", start))
            .order_by("at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [AnswerRecord.model_validate(snap.to_dict() or {}) for snap in query.stream()]

    def delete_conversation(self, org_id: str, conversation_id: str) -> int:
        """Delete the conversation's records; how many there were."""
        return delete_where(self.store, org_id, COLLECTION, "conversation_id", conversation_id)
