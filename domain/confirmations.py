"""The repository of proposed changes awaiting a decision (`orgs/ORG/confirmations`), the conversation's pointer
to its pending one, and the stored answer of each request id (`orgs/ORG/responses`).

A confirmation moves pending -> processing (claimed in a transaction, so it runs at most once) -> approved or
rejected, by the decision that was taken; or pending -> expired / superseded (a new message arrived first). Both
collections carry `delete_after` for Firestore's TTL policy (terraform modules/firestore). What a confirmation
means to the chat (its card, its answer) is `assistant.confirmations`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from google.cloud import firestore
from pydantic import BaseModel, Field

from domain.errors import Conflict, NotFound
from domain.idempotency import check_replay
from domain.metrics import CONFIRMATIONS
from domain.recovery import release_confirmation
from domain.store import DocRef, Store, utcnow

# A stored answer serves retries of its request id; a confirmation record shows who approved or rejected what.
KEEP_RESPONSES = timedelta(days=7)
KEEP_CONFIRMATIONS = timedelta(days=90)

Decision = Literal["approve", "reject"]


class ConfirmationStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    approved = "approved"
    rejected = "rejected"
    expired = "expired"
    superseded = "superseded"


class ProposedAction(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)


class Confirmation(BaseModel):
    id: str = Field(exclude=True)  # the document id (the LangGraph interrupt id), not a field of the document
    conversation_id: str
    summary: str
    actions: list[ProposedAction]
    status: ConfirmationStatus = ConfirmationStatus.pending
    decision: Decision | None = None
    created_at: datetime
    expires_at: datetime
    delete_after: datetime
    closed_at: datetime | None = None
    # set by the claim, so that domain.recovery can settle a claim whose process died
    claimed_at: datetime | None = None
    request_id: str | None = None


class StoredAnswer(BaseModel):
    response: dict[str, Any]  # a `ChatResponse` as JSON: the assistant layer owns its shape
    key_id: str | None = None  # the key that asked and the fingerprint of its body: a replay must match both
    fingerprint: str | None = None
    created_at: datetime
    delete_after: datetime


class ConfirmationRepository:
    """The confirmations of every organisation, and the conversation's pointer to its pending one."""

    def __init__(self, store: Store, ttl_seconds: int) -> None:
        self.store = store
        self.ttl = timedelta(seconds=ttl_seconds)

    def _ref(self, org: str, confirmation_id: str) -> firestore.DocumentReference:
        return self.store.col(org, "confirmations").document(confirmation_id)

    def _conversation(self, org: str, conversation_id: str) -> firestore.DocumentReference:
        return self.store.col(org, "conversations").document(conversation_id)

    def create(
        self, org: str, conversation_id: str, confirmation_id: str, summary: str, actions: list[ProposedAction]
    ) -> Confirmation:
        now = utcnow()
        record = Confirmation(
            id=confirmation_id,
            conversation_id=conversation_id,
            summary=summary,
            actions=actions,
            created_at=now,
            expires_at=now + self.ttl,
            delete_after=now + KEEP_CONFIRMATIONS,
        )
        self._ref(org, confirmation_id).set(record.model_dump(mode="python"))
        self._conversation(org, conversation_id).set({"pending_confirmation": confirmation_id}, merge=True)
        return record

    def awaiting(self, org: str, confirmation_id: str) -> str | None:
        """The summary of the confirmation when it still awaits a decision (pending, not expired), else None."""
        snap = self._ref(org, confirmation_id).get()
        if not snap.exists or snap.get("status") != ConfirmationStatus.pending or snap.get("expires_at") < utcnow():
            return None
        summary: str = snap.get("summary")
        return summary

    def claim(self, org: str, confirmation_id: str, decision: Decision, request_id: str) -> Confirmation:
        """Move a pending confirmation to `processing` in a transaction, so that it runs at most once."""
        ref = self._ref(org, confirmation_id)

        def claim(tx: firestore.Transaction) -> Confirmation:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                raise NotFound(f"there is no confirmation {confirmation_id!r}")
            record = Confirmation.model_validate((snap.to_dict() or {}) | {"id": confirmation_id})
            if record.status != ConfirmationStatus.pending:
                raise Conflict(f"this confirmation is already {record.status.value}; nothing more was changed")
            if record.expires_at < utcnow():
                tx.update(ref, {"status": ConfirmationStatus.expired.value})
                return record.model_copy(update={"status": ConfirmationStatus.expired})
            claimed = {"decision": decision, "claimed_at": utcnow(), "request_id": request_id}
            tx.update(ref, {"status": ConfirmationStatus.processing.value, **claimed})
            return record.model_copy(update={"status": ConfirmationStatus.processing, **claimed})

        record: Confirmation = self.store.runner.run(claim, lock=[ref.path])
        if record.status == ConfirmationStatus.expired:
            CONFIRMATIONS.labels(outcome="expired").inc()
            raise Conflict("this confirmation expired, so nothing was changed; ask the assistant again")
        return record

    def close(self, org: str, record: Confirmation) -> None:
        """The decision ran: the record says which it was, and the conversation has nothing pending any more."""
        status = ConfirmationStatus.approved if record.decision == "approve" else ConfirmationStatus.rejected
        self._ref(org, record.id).update({"status": status.value, "closed_at": utcnow()})
        CONFIRMATIONS.labels(outcome=status.value).inc()
        self.clear_pending(org, record.conversation_id)

    def release(self, org: str, confirmation_id: str) -> None:
        """Its run was refused or failed, so nothing changed: back to `pending`, to be decided again."""
        release_confirmation(self.store, org, confirmation_id)

    def clear_pending(self, org: str, conversation_id: str) -> None:
        self._conversation(org, conversation_id).set({"pending_confirmation": None}, merge=True)

    def supersede(self, org: str, conversation_id: str) -> bool:
        """A new message while a change awaits confirmation: the proposal lapses. True when one was pending (the
        caller then rejects the paused run and calls `clear_pending`)."""
        conversation = self._conversation(org, conversation_id).get()
        pending_id = (conversation.to_dict() or {}).get("pending_confirmation") if conversation.exists else None
        if not pending_id:
            return False
        ref = self._ref(org, pending_id)
        snap = ref.get()
        if snap.exists and snap.get("status") in (ConfirmationStatus.pending, ConfirmationStatus.expired):
            ref.update({"status": ConfirmationStatus.superseded.value, "closed_at": utcnow()})
            CONFIRMATIONS.labels(outcome="superseded").inc()
        return True

    def lapse(self, org: str, confirmation_id: str) -> None:
        """Its conversation was deleted: whatever its status, it is superseded (nothing of it runs any more)."""
        ref = self._ref(org, confirmation_id)
        if ref.get().exists:
            ref.update({"status": ConfirmationStatus.superseded.value, "closed_at": utcnow()})


class AnswerRepository:
    """The answer of each request id, written in the transaction that charges it (see `ChatService._settle`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def ref(self, org: str, request_id: str) -> DocRef:
        return self.store.col(org, "responses").document(request_id)

    def get(self, org: str, request_id: str, key_id: str, body: str) -> StoredAnswer | None:
        """The answer stored for `request_id` when this key asked for it with this body fingerprint (else 409)."""
        snap = self.ref(org, request_id).get()
        if not snap.exists:
            return None
        data = snap.to_dict() or {}
        check_replay(data, key_id, body)
        return StoredAnswer.model_validate(data)

    def record(
        self, org: str, request_id: str, response: dict[str, Any], key_id: str, body: str
    ) -> tuple[DocRef, dict[str, Any]]:
        """The document and data to write; the caller writes them inside its own transaction."""
        now = utcnow()
        data = {
            "response": response,
            "key_id": key_id,
            "fingerprint": body,
            "created_at": now,
            "delete_after": now + KEEP_RESPONSES,
        }
        return self.ref(org, request_id), data
