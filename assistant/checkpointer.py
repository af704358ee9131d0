"""A LangGraph checkpoint saver on Firestore: conversations (and paused confirmations) survive restarts and
are shared by every server instance.

Layout, scoped by organisation: `orgs/{org}/conversations/{conversation}` holds the id of the latest checkpoint
per namespace; `.../checkpoints/{ns}~{checkpoint_id}` the serialised checkpoint; `.../writes/{task}~{idx}` under
it the pending writes. The thread id is `{org_id}.{conversation_id}`, built by the server from the caller's key.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_checkpoint_metadata,
)

from domain.store import Store, utcnow


def thread_id_for(org_id: str, conversation_id: str) -> str:
    return f"{org_id}.{conversation_id}"


# Set by the caller in `configurable` when the thread starts with this run (a conversation id it just made): there
# is no checkpoint to read, so the first read (a round trip per new conversation) is skipped.
NEW_THREAD = "fluxori_new_thread"


def split_thread_id(thread_id: str) -> tuple[str, str]:
    org_id, _, conversation_id = thread_id.partition(".")
    if not org_id or not conversation_id:
        raise ValueError("a thread id is '<org_id>.<conversation_id>'")
    return org_id, conversation_id


class FirestoreSaver(BaseCheckpointSaver[str]):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def _conversation(self, thread_id: str) -> firestore.DocumentReference:
        org_id, conversation_id = split_thread_id(thread_id)
        return self.store.col(org_id, "conversations").document(conversation_id)

    @staticmethod
    def _doc_id(checkpoint_ns: str, checkpoint_id: str) -> str:
        return f"{checkpoint_ns or '_'}~{checkpoint_id}"

    def _tuple(self, thread_id: str, snap: firestore.DocumentSnapshot) -> CheckpointTuple:
        data = snap.to_dict() or {}  # a snapshot read from a query exists
        ns, checkpoint_id = data["ns"], data["checkpoint_id"]
        writes = sorted(
            (w.to_dict() or {} for w in snap.reference.collection("writes").stream()),
            key=lambda w: (w["task_path"], w["task_id"], w["idx"]),
        )
        parent = data.get("parent_id")
        return CheckpointTuple(
            config={"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}},
            checkpoint=self.serde.loads_typed((data["type"], data["checkpoint"])),
            metadata=self.serde.loads_typed((data["metadata_type"], data["metadata"])),
            pending_writes=[
                (w["task_id"], w["channel"], self.serde.loads_typed((w["type"], w["value"]))) for w in writes
            ],
            parent_config=(
                {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": parent}}
                if parent
                else None
            ),
        )

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id = config["configurable"]["thread_id"]
        ns = config["configurable"].get("checkpoint_ns", "")
        checkpoint_id = get_checkpoint_id(config)
        if not checkpoint_id and config["configurable"].get(NEW_THREAD):
            return None
        conversation = self._conversation(thread_id)
        if not checkpoint_id:
            snap = conversation.get()
            checkpoint_id = ((snap.to_dict() or {}).get("latest") or {}).get(ns or "_") if snap.exists else None
            if not checkpoint_id:
                return None
        snap = conversation.collection("checkpoints").document(self._doc_id(ns, checkpoint_id)).get()
        return self._tuple(thread_id, snap) if snap.exists else None

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        if config is None:
            raise ValueError("listing checkpoints needs a thread id (they are stored per organisation)")
        thread_id = config["configurable"]["thread_id"]
        query = self._conversation(thread_id).collection("checkpoints")
        if (ns := config["configurable"].get("checkpoint_ns")) is not None:
            query = query.where(filter=FieldFilter("ns", "==", ns))
        if before is not None and (before_id := get_checkpoint_id(before)):
            query = query.where(filter=FieldFilter("checkpoint_id", "<", before_id))
        query = query.order_by("checkpoint_id", direction=firestore.Query.DESCENDING)
        count = 0
        for snap in query.stream():
            item = self._tuple(thread_id, snap)
            if filter and not all(item.metadata.get(k) == v for k, v in filter.items()):
                continue
            yield item
            count += 1
            if limit is not None and count >= limit:
                return

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        thread_id = config["configurable"]["thread_id"]
        ns = config["configurable"].get("checkpoint_ns", "")
        conversation = self._conversation(thread_id)
        type_, blob = self.serde.dumps_typed(checkpoint)
        metadata_type, metadata_blob = self.serde.dumps_typed(get_checkpoint_metadata(config, metadata))
        batch = self.store.client.batch()
        batch.set(
            conversation.collection("checkpoints").document(self._doc_id(ns, checkpoint["id"])),
            {
                "ns": ns,
                "checkpoint_id": checkpoint["id"],
                "parent_id": config["configurable"].get("checkpoint_id"),
                "type": type_,
                "checkpoint": blob,
                "metadata_type": metadata_type,
                "metadata": metadata_blob,
                "created_at": utcnow(),
            },
        )
        batch.set(conversation, {"latest": {ns or "_": checkpoint["id"]}, "updated_at": utcnow()}, merge=True)
        batch.commit()
        return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint["id"]}}

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        thread_id = config["configurable"]["thread_id"]
        ns = config["configurable"].get("checkpoint_ns", "")
        checkpoint = (
            self._conversation(thread_id)
            .collection("checkpoints")
            .document(self._doc_id(ns, config["configurable"]["checkpoint_id"]))
        )
        batch = self.store.client.batch()
        existing: set[str] | None = None
        for idx, (channel, value) in enumerate(writes):
            write_idx = WRITES_IDX_MAP.get(channel, idx)
            ref = checkpoint.collection("writes").document(f"{task_id}~{write_idx}")
            if write_idx >= 0:  # a task's ordinary writes are kept as first saved; special ones are replaced
                if existing is None:
                    existing = {doc.id for doc in checkpoint.collection("writes").list_documents()}
                if ref.id in existing:
                    continue
            type_, blob = self.serde.dumps_typed(value)
            batch.set(
                ref,
                {
                    "task_id": task_id,
                    "task_path": task_path,
                    "idx": write_idx,
                    "channel": channel,
                    "type": type_,
                    "value": blob,
                },
            )
        batch.commit()

    def delete_thread(self, thread_id: str) -> None:
        conversation = self._conversation(thread_id)
        self.store.client.recursive_delete(conversation)

    def get_next_version(self, current: str | None, channel: None) -> str:
        # Same scheme as LangGraph's own savers: a zero-padded counter and a random suffix.
        number = 1 if current is None else int(str(current).split(".")[0]) + 1
        return f"{number:032}.{random.random():016}"
