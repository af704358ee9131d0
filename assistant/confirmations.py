"""What the chat service keeps besides the conversation, in its own terms: a proposed change is made from the
`PendingConfirmation` the agent paused on, and a stored answer is a `ChatResponse`. The records, their statuses
and their Firestore documents are `domain.confirmations`.
"""

from __future__ import annotations

from typing import Any

from assistant.contracts import ChatResponse, PendingConfirmation
from domain.confirmations import (
    AnswerRepository,
    Confirmation,
    ConfirmationRepository,
    ConfirmationStatus,
    Decision,
    ProposedAction,
)
from domain.store import DocRef, Store

__all__ = ["Answers", "Confirmation", "ConfirmationStatus", "Confirmations", "Decision", "ProposedAction"]


class Confirmations(ConfirmationRepository):
    """The confirmations of every organisation, and the conversation's pointer to its pending one."""

    def propose(
        self, org: str, conversation_id: str, pending: PendingConfirmation, actions: list[ProposedAction]
    ) -> Confirmation:
        return self.create(org, conversation_id, pending.id, pending.summary, actions)


class Answers:
    """The answer of each request id, written in the transaction that charges it (see `ChatService._settle`)."""

    def __init__(self, store: Store) -> None:
        self.repository = AnswerRepository(store)

    def get(self, org: str, request_id: str, key_id: str, body: str) -> ChatResponse | None:
        """The answer stored for `request_id` when this key asked for it with this body fingerprint (else 409)."""
        stored = self.repository.get(org, request_id, key_id, body)
        return ChatResponse.model_validate(stored.response) if stored is not None else None

    def record(
        self, org: str, request_id: str, response: ChatResponse, key_id: str, body: str
    ) -> tuple[DocRef, dict[str, Any]]:
        """The document and data to write; the caller writes them inside its own transaction."""
        return self.repository.record(org, request_id, response.model_dump(mode="json"), key_id, body)
