"""The conversation documents of one organisation, `orgs/{org}/conversations/{id}`: the latest checkpoint per
namespace and `updated_at` (written by `domain.checkpoints`), the pending confirmation (`domain.confirmations`)
and a `title` (kept here)."""

from __future__ import annotations

from datetime import datetime

from google.cloud import firestore
from pydantic import BaseModel, Field

from domain.store import Store


class ConversationRecord(BaseModel):
    id: str = Field(exclude=True)  # the document id
    latest: dict[str, str] = Field(default_factory=dict, description="The latest checkpoint id per namespace")
    updated_at: datetime | None = None
    title: str | None = None
    pending_confirmation: str | None = None

    @property
    def started(self) -> bool:
        """Something was said (a conversation has a checkpoint): before that it is not listed or opened."""
        return bool(self.latest)


class ConversationRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _ref(self, org_id: str, conversation_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "conversations").document(conversation_id)

    def get(self, org_id: str, conversation_id: str) -> ConversationRecord | None:
        snap = self._ref(org_id, conversation_id).get()
        return ConversationRecord.model_validate((snap.to_dict() or {}) | {"id": snap.id}) if snap.exists else None

    def newest(self, org_id: str, limit: int) -> list[ConversationRecord]:
        query = (
            self.store.col(org_id, "conversations")
            .order_by("updated_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [ConversationRecord.model_validate((s.to_dict() or {}) | {"id": s.id}) for s in query.stream()]

    def set_title(self, org_id: str, conversation_id: str, title: str) -> None:
        self._ref(org_id, conversation_id).update({"title": title})
