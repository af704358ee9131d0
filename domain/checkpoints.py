"""The documents of LangGraph checkpoints, scoped by organisation (`assistant.checkpointer` is the saver that
LangGraph calls; this is where its data lives).

`orgs/{org}/conversations/{conversation}` holds `latest`, the id of the latest checkpoint per namespace (`_` for
the root one), and `updated_at`; `.../checkpoints/{ns}~{checkpoint_id}` a serialised checkpoint; `.../writes/
{task}~{idx}` under it the pending writes of that checkpoint. What is serialised is the saver's business: here it
is (type, bytes) pairs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from domain.store import Store, utcnow

Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


class StoredCheckpoint(BaseModel):
    ns: str
    checkpoint_id: str
    parent_id: str | None = None
    type: str
    checkpoint: bytes
    metadata_type: str
    metadata: bytes
    created_at: datetime = Field(default_factory=utcnow)


class StoredWrite(BaseModel):
    task_id: str
    task_path: str = ""
    idx: int
    channel: str
    type: str
    value: bytes

    @property
    def doc_id(self) -> str:
        return f"{self.task_id}~{self.idx}"


def _doc_id(ns: str, checkpoint_id: str) -> str:
    return f"{ns or '_'}~{checkpoint_id}"


class CheckpointRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _conversation(self, org_id: str, conversation_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "conversations").document(conversation_id)

    def _checkpoint(
        self, org_id: str, conversation_id: str, ns: str, checkpoint_id: str
    ) -> firestore.DocumentReference:
        checkpoints = self._conversation(org_id, conversation_id).collection("checkpoints")
        ref: firestore.DocumentReference = checkpoints.document(_doc_id(ns, checkpoint_id))
        return ref

    def latest_id(self, org_id: str, conversation_id: str, ns: str) -> str | None:
        snap = self._conversation(org_id, conversation_id).get()
        latest: str | None = ((snap.to_dict() or {}).get("latest") or {}).get(ns or "_") if snap.exists else None
        return latest

    def get(
        self, org_id: str, conversation_id: str, ns: str, checkpoint_id: str
    ) -> tuple[StoredCheckpoint, list[StoredWrite]] | None:
        snap = self._checkpoint(org_id, conversation_id, ns, checkpoint_id).get()
        return self._with_writes(snap) if snap.exists else None

    def newest_first(
        self, org_id: str, conversation_id: str, ns: str | None, before_id: str | None
    ) -> Iterator[tuple[StoredCheckpoint, list[StoredWrite]]]:
        """The checkpoints of a conversation (of one namespace when `ns` is not None), newest first."""
        query = self._conversation(org_id, conversation_id).collection("checkpoints")
        if ns is not None:
            query = query.where(filter=FieldFilter("ns", "==", ns))
        if before_id is not None:
            query = query.where(filter=FieldFilter("checkpoint_id", "<", before_id))
        for snap in query.order_by("checkpoint_id", direction=firestore.Query.DESCENDING).stream():
            yield self._with_writes(snap)

    @staticmethod
    def _with_writes(snap: Snapshot) -> tuple[StoredCheckpoint, list[StoredWrite]]:
        writes = [StoredWrite.model_validate(w.to_dict() or {}) for w in snap.reference.collection("writes").stream()]
        writes.sort(key=lambda w: (w.task_path, w.task_id, w.idx))
        return StoredCheckpoint.model_validate(snap.to_dict() or {}), writes

    def put(self, org_id: str, conversation_id: str, checkpoint: StoredCheckpoint) -> None:
        """The checkpoint and the conversation's pointer to it, in one batch."""
        conversation = self._conversation(org_id, conversation_id)
        batch = self.store.client.batch()
        batch.set(
            self._checkpoint(org_id, conversation_id, checkpoint.ns, checkpoint.checkpoint_id),
            checkpoint.model_dump(),
        )
        latest = {"latest": {checkpoint.ns or "_": checkpoint.checkpoint_id}, "updated_at": utcnow()}
        batch.set(conversation, latest, merge=True)
        batch.commit()

    def put_writes(
        self, org_id: str, conversation_id: str, ns: str, checkpoint_id: str, writes: Sequence[StoredWrite]
    ) -> None:
        """A task's ordinary writes (`idx` >= 0) are kept as first saved; special ones (`idx` < 0) are replaced."""
        checkpoint = self._checkpoint(org_id, conversation_id, ns, checkpoint_id)
        batch = self.store.client.batch()
        existing: set[str] | None = None
        for write in writes:
            ref = checkpoint.collection("writes").document(write.doc_id)
            if write.idx >= 0:
                if existing is None:
                    existing = {doc.id for doc in checkpoint.collection("writes").list_documents()}
                if ref.id in existing:
                    continue
            batch.set(ref, write.model_dump())
        batch.commit()

    def delete_conversation(self, org_id: str, conversation_id: str) -> None:
        """The conversation's document with its checkpoints and their writes."""
        self.store.client.recursive_delete(self._conversation(org_id, conversation_id))
