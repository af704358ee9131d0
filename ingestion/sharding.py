"""Splitting a corpus over the N tasks of a Cloud Run job: every document belongs to exactly one shard.

The owner is a stable hash of the document id (not of a listing position), so adding a file moves no other file
to another shard, and a vanished document is deleted by the one shard that owned it.
"""

from __future__ import annotations

import hashlib
import os
import re

from ingestion.errors import IngestError

Shard = tuple[int, int]  # (index, count), index 0-based like CLOUD_RUN_TASK_INDEX

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def shard_of(doc_id: str, count: int) -> int:
    digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def owns(shard: Shard | None, doc_id: str) -> bool:
    return shard is None or shard_of(doc_id, shard[1]) == shard[0]


def validate_shard(shard: Shard | None) -> Shard | None:
    if shard is None:
        return None
    index, count = shard
    if count < 1 or not 0 <= index < count:
        raise IngestError(f"shard {index}/{count} is not valid: use I/N with 0 <= I < N (I is 0-based)")
    return None if count == 1 else (index, count)


def parse_shard(text: str | None, environ: dict[str, str] | None = None) -> Shard | None:
    """`I/N`, or `auto` for Cloud Run's CLOUD_RUN_TASK_INDEX / CLOUD_RUN_TASK_COUNT (no shard when they are unset)."""
    if text is None or not text.strip():
        return None
    env = os.environ if environ is None else environ
    if text.strip().lower() == "auto":
        index, count = env.get("CLOUD_RUN_TASK_INDEX"), env.get("CLOUD_RUN_TASK_COUNT")
        if index is None and count is None:
            return None  # a single task: the whole corpus
        if not (index or "").isdigit() or not (count or "").isdigit():
            raise IngestError(
                f"--shard auto needs CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT as numbers (got {index!r}/{count!r})"
            )
        return validate_shard((int(index or 0), int(count or 0)))
    match = _SHARD.match(text)
    if not match:
        raise IngestError(f"--shard {text!r} is not valid: use I/N (e.g. 0/4; I is 0-based) or auto")
    return validate_shard((int(match.group(1)), int(match.group(2))))
