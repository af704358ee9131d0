"""Idempotency keys: a retried operation returns the first result instead of running twice."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from google.cloud import firestore

from domain.errors import Conflict, InvalidInput
from domain.store import Store, utcnow


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def check_replay(stored: dict[str, Any], key_id: str, payload_fingerprint: str) -> None:
    """A stored answer is given again only to the key that asked, for the same request body; anyone else reusing
    its request id is refused (409), so a request id does not let another key read an answer. Answers stored
    before they were bound (no key recorded) are given to no one."""
    if stored.get("key_id") != key_id or stored.get("fingerprint") != payload_fingerprint:
        raise Conflict(
            "this request id was already used by another request (another API key or another body); "
            "send a new X-Request-ID"
        )


class Idempotency:
    """Within a transaction: `lookup` before any write, `remember` with the writes."""

    def __init__(self, store: Store, org_id: str, key: str | None, payload: dict[str, Any]) -> None:
        if key is not None and (not 1 <= len(key) <= 200 or "/" in key):
            raise InvalidInput("an idempotency key has 1-200 characters and no '/'")
        self.ref = store.col(org_id, "operations").document(key) if key else None
        self.fingerprint = fingerprint(payload)

    def lookup(self, tx: firestore.Transaction) -> dict[str, Any] | None:
        if self.ref is None:
            return None
        snap = self.ref.get(transaction=tx)
        if not snap.exists:
            return None
        data = snap.to_dict() or {}
        if data["fingerprint"] != self.fingerprint:
            raise Conflict("this idempotency key was already used for a different request; use a new key")
        result: dict[str, Any] | None = data["result"]
        return result

    def remember(self, tx: firestore.Transaction, result: dict[str, Any]) -> None:
        if self.ref is not None:
            tx.set(self.ref, {"fingerprint": self.fingerprint, "result": result, "created_at": utcnow()})
