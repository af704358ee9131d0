"""The conversations of one organisation: list, open, rename, delete.

A conversation's document is written by the checkpointer (latest checkpoint, `updated_at`) and by the chat service
(`pending_confirmation`); this module adds a `title`, derived once from the first question and kept, or set by a
rename. Every call takes the organisation of the authenticated caller, so one organisation never lists or opens
another's conversations. The documents are `domain.conversations`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from langchain_core.messages import BaseMessage, HumanMessage
from pydantic import BaseModel

from assistant.checkpointer import FirestoreSaver, thread_id_for
from domain.checkpoints import CheckpointRepository
from domain.confirmations import ConfirmationRepository
from domain.conversations import ConversationRecord, ConversationRepository
from domain.errors import InvalidInput, NotFound
from domain.store import Store

TITLE_CHARS = 60


class ConversationInfo(BaseModel):
    id: str
    title: str
    updated_at: datetime


def _title_from(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= TITLE_CHARS:
        return text or "Untitled conversation"
    return text[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"  # never cut a word in half


class ConversationData(Protocol):
    """Records kept per conversation elsewhere (the answer log, feedback) that go when the conversation goes."""

    def delete_conversation(self, org_id: str, conversation_id: str) -> int: ...


class Conversations:
    def __init__(self, store: Store, followers: Sequence[ConversationData] = ()) -> None:
        """`followers`: what else to delete with a conversation (the application layer passes the answer log and
        the feedback, `assistant.application.conversations_view`)."""
        self.followers = tuple(followers)
        self.records = ConversationRepository(store)
        self.confirmations = ConfirmationRepository(store, ttl_seconds=0)  # read and lapsed here, never proposed
        self.saver = FirestoreSaver(CheckpointRepository(store))

    def _existing(self, org_id: str, conversation_id: str) -> ConversationRecord:
        record = self.records.get(org_id, conversation_id) if conversation_id else None
        if record is None or not record.started:
            raise NotFound(f"there is no conversation {conversation_id!r}")
        return record

    def list(self, org_id: str, limit: int = 50) -> list[ConversationInfo]:
        """The newest first; conversations without a checkpoint (nothing was said yet) are left out."""
        found = []
        for record in self.records.newest(org_id, limit):
            if not record.started or record.updated_at is None:
                continue
            title = record.title
            if not title:  # derived once, then kept: listing must not deserialise every checkpoint every time
                title = _title_from(next(self._questions(org_id, record.id), ""))
                self.records.set_title(org_id, record.id, title)
            found.append(ConversationInfo(id=record.id, title=title, updated_at=record.updated_at))
        return found

    def messages(self, org_id: str, conversation_id: str) -> builtins.list[BaseMessage]:
        """The messages of the conversation as last saved (questions, tool calls and results, answers)."""
        self._existing(org_id, conversation_id)
        checkpoint = self.saver.get_tuple({"configurable": {"thread_id": thread_id_for(org_id, conversation_id)}})
        return list(checkpoint.checkpoint["channel_values"].get("messages", [])) if checkpoint else []

    def pending_confirmation(self, org_id: str, conversation_id: str) -> dict[str, Any] | None:
        """The change still waiting for a decision in this conversation: {id, summary}, or None."""
        pending_id = self._existing(org_id, conversation_id).pending_confirmation
        if not pending_id:
            return None
        summary = self.confirmations.awaiting(org_id, pending_id)
        return {"id": pending_id, "summary": summary} if summary is not None else None

    def rename(self, org_id: str, conversation_id: str, title: str) -> ConversationInfo:
        title = " ".join((title or "").split())
        if not title or len(title) > 120:
            raise InvalidInput("a conversation title has 1 to 120 characters")
        record = self._existing(org_id, conversation_id)
        self.records.set_title(org_id, conversation_id, title)
        assert record.updated_at is not None  # a started conversation has one
        return ConversationInfo(id=conversation_id, title=title, updated_at=record.updated_at)

    def delete(self, org_id: str, conversation_id: str) -> None:
        """Forget the conversation, its checkpoints and its followers' records (answer log, feedback); a change it
        was waiting for lapses (nothing runs)."""
        if pending_id := self._existing(org_id, conversation_id).pending_confirmation:
            self.confirmations.lapse(org_id, pending_id)
        for follower in self.followers:  # first: a delete that fails half-way can be repeated while the thread is there
            follower.delete_conversation(org_id, conversation_id)
        self.saver.delete_thread(thread_id_for(org_id, conversation_id))

    def _questions(self, org_id: str, conversation_id: str) -> Iterator[str]:
        for message in self.messages(org_id, conversation_id):
            if isinstance(message, HumanMessage):
                yield str(message.content)
