"""The conversations of one organisation, read from the Firestore checkpointer's data: list, open, rename, delete.

`orgs/{org}/conversations/{id}` is written by `FirestoreSaver.put` (latest checkpoint, `updated_at`) and by the
chat service (`pending_confirmation`); this module adds a `title`, derived once from the first question and
kept, or set by a rename. Every call takes the organisation of the authenticated caller, so one organisation
never lists or opens another's conversations.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from google.cloud import firestore
from langchain_core.messages import BaseMessage, HumanMessage
from pydantic import BaseModel

from assistant.checkpointer import FirestoreSaver, thread_id_for
from domain.errors import InvalidInput, NotFound
from domain.store import Store, utcnow

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


class Conversations:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.saver = FirestoreSaver(store)

    def _ref(self, org_id: str, conversation_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "conversations").document(conversation_id)

    def _existing(self, org_id: str, conversation_id: str) -> firestore.DocumentSnapshot:
        snap = self._ref(org_id, conversation_id).get() if conversation_id else None
        if snap is None or not snap.exists or not (snap.to_dict() or {}).get("latest"):
            raise NotFound(f"there is no conversation {conversation_id!r}")
        return snap

    def list(self, org_id: str, limit: int = 50) -> list[ConversationInfo]:
        """The newest first; conversations without a checkpoint (nothing was said yet) are left out."""
        query = (
            self.store.col(org_id, "conversations")
            .order_by("updated_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        found = []
        for snap in query.stream():
            data = snap.to_dict() or {}
            if not data.get("latest"):
                continue
            title = data.get("title")
            if not title:  # derived once, then kept: listing must not deserialise every checkpoint every time
                title = _title_from(next(self._questions(org_id, snap.id), ""))
                snap.reference.update({"title": title})
            found.append(ConversationInfo(id=snap.id, title=title, updated_at=data["updated_at"]))
        return found

    def messages(self, org_id: str, conversation_id: str) -> builtins.list[BaseMessage]:
        """The messages of the conversation as last saved (questions, tool calls and results, answers)."""
        self._existing(org_id, conversation_id)
        checkpoint = self.saver.get_tuple({"configurable": {"thread_id": thread_id_for(org_id, conversation_id)}})
        return list(checkpoint.checkpoint["channel_values"].get("messages", [])) if checkpoint else []

    def pending_confirmation(self, org_id: str, conversation_id: str) -> dict[str, Any] | None:
        """The change still waiting for a decision in this conversation: {id, summary}, or None."""
        pending_id = (self._existing(org_id, conversation_id).to_dict() or {}).get("pending_confirmation")
        if not pending_id:
            return None
        record = self.store.col(org_id, "confirmations").document(pending_id).get()
        if not record.exists or record.get("status") != "pending" or record.get("expires_at") < utcnow():
            return None
        return {"id": pending_id, "summary": record.get("summary")}

    def rename(self, org_id: str, conversation_id: str, title: str) -> ConversationInfo:
        title = " ".join((title or "").split())
        if not title or len(title) > 120:
            raise InvalidInput("a conversation title has 1 to 120 characters")
        snap = self._existing(org_id, conversation_id)
        snap.reference.update({"title": title})
        return ConversationInfo(id=conversation_id, title=title, updated_at=snap.get("updated_at"))

    def delete(self, org_id: str, conversation_id: str) -> None:
        """Forget the conversation and its checkpoints; a change it was waiting for lapses (nothing runs)."""
        snap = self._existing(org_id, conversation_id)
        if pending_id := (snap.to_dict() or {}).get("pending_confirmation"):
            record = self.store.col(org_id, "confirmations").document(pending_id)
            if record.get().exists:
                record.update({"status": "superseded", "closed_at": utcnow()})
        self.saver.delete_thread(thread_id_for(org_id, conversation_id))

    def _questions(self, org_id: str, conversation_id: str):
        for message in self.messages(org_id, conversation_id):
            if isinstance(message, HumanMessage):
                yield str(message.content)
