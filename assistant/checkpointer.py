"""A LangGraph checkpoint saver on Firestore: conversations (and paused confirmations) survive restarts and
are shared by every server instance.

The saver serialises; the documents are `domain.checkpoints` (their layout is described there), reached through
the `Checkpoints` Protocol below. The thread id is `{org_id}.{conversation_id}`, built by the server from the
caller's key.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

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

from domain.checkpoints import StoredCheckpoint, StoredWrite


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


class Checkpoints(Protocol):
    """What the saver needs of the checkpoint documents (`domain.checkpoints.CheckpointRepository`)."""

    def latest_id(self, org_id: str, conversation_id: str, ns: str) -> str | None: ...

    def get(
        self, org_id: str, conversation_id: str, ns: str, checkpoint_id: str
    ) -> tuple[StoredCheckpoint, list[StoredWrite]] | None: ...

    def newest_first(
        self, org_id: str, conversation_id: str, ns: str | None, before_id: str | None
    ) -> Iterator[tuple[StoredCheckpoint, list[StoredWrite]]]: ...

    def put(self, org_id: str, conversation_id: str, checkpoint: StoredCheckpoint) -> None: ...

    def put_writes(
        self, org_id: str, conversation_id: str, ns: str, checkpoint_id: str, writes: Sequence[StoredWrite]
    ) -> None: ...

    def delete_conversation(self, org_id: str, conversation_id: str) -> None: ...


class FirestoreSaver(BaseCheckpointSaver[str]):
    def __init__(self, checkpoints: Checkpoints) -> None:
        super().__init__()
        self.checkpoints = checkpoints

    def _tuple(self, thread_id: str, stored: tuple[StoredCheckpoint, list[StoredWrite]]) -> CheckpointTuple:
        data, writes = stored
        ns, checkpoint_id, parent = data.ns, data.checkpoint_id, data.parent_id
        return CheckpointTuple(
            config={"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}},
            checkpoint=self.serde.loads_typed((data.type, data.checkpoint)),
            metadata=self.serde.loads_typed((data.metadata_type, data.metadata)),
            pending_writes=[(w.task_id, w.channel, self.serde.loads_typed((w.type, w.value))) for w in writes],
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
        org_id, conversation_id = split_thread_id(thread_id)
        if not checkpoint_id:
            checkpoint_id = self.checkpoints.latest_id(org_id, conversation_id, ns)
            if not checkpoint_id:
                return None
        stored = self.checkpoints.get(org_id, conversation_id, ns, checkpoint_id)
        return self._tuple(thread_id, stored) if stored is not None else None

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
        org_id, conversation_id = split_thread_id(thread_id)
        before_id = get_checkpoint_id(before) if before is not None else None
        ns = config["configurable"].get("checkpoint_ns")
        count = 0
        for stored in self.checkpoints.newest_first(org_id, conversation_id, ns, before_id or None):
            item = self._tuple(thread_id, stored)
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
        type_, blob = self.serde.dumps_typed(checkpoint)
        metadata_type, metadata_blob = self.serde.dumps_typed(get_checkpoint_metadata(config, metadata))
        stored = StoredCheckpoint(
            ns=ns,
            checkpoint_id=checkpoint["id"],
            parent_id=config["configurable"].get("checkpoint_id"),
            type=type_,
            checkpoint=blob,
            metadata_type=metadata_type,
            metadata=metadata_blob,
        )
        self.checkpoints.put(*split_thread_id(thread_id), stored)
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
        stored = []
        for idx, (channel, value) in enumerate(writes):
            type_, blob = self.serde.dumps_typed(value)
            write_idx = WRITES_IDX_MAP.get(channel, idx)
            stored.append(
                StoredWrite(
                    task_id=task_id, task_path=task_path, idx=write_idx, channel=channel, type=type_, value=blob
                )
            )
        org_id, conversation_id = split_thread_id(thread_id)
        self.checkpoints.put_writes(org_id, conversation_id, ns, config["configurable"]["checkpoint_id"], stored)

    def delete_thread(self, thread_id: str) -> None:
        self.checkpoints.delete_conversation(*split_thread_id(thread_id))

    def get_next_version(self, current: str | None, channel: None) -> str:
        # Same scheme as LangGraph's own savers: a zero-padded counter and a random suffix.
        number = 1 if current is None else int(str(current).split(".")[0]) + 1
        return f"{number:032}.{random.random():016}"
