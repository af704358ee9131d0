"""The daily briefing's webhook: an organisation's registration and its delivery records, in Firestore.

- `orgs/ORG/webhooks/briefing`: the URL the briefing is posted to and the secret that signs it (kept, not hashed:
  the sender needs it to sign; the API never shows it again after registration).
- `orgs/ORG/briefing_deliveries/YYYY-MM-DD` (a SAST day): one delivery per organisation per day. A sender claims
  the day's document in a transaction before it posts, so retries and concurrent senders (the scheduler's job
  and a `fluxori serve` timer, two job executions) post at most once; every attempt is appended to it.

The organisation is part of every path: a sender reads the URL of the organisation whose briefing it posts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from google.cloud import firestore
from pydantic import BaseModel, Field

from domain.store import Store, utcnow

# A claim still `sending` after this long belongs to a sender that died: another may take the day over. Longer
# than a sender's whole run of attempts (assistant.application.webhooks bounds it well below this).
CLAIM_LEASE = timedelta(minutes=15)
MAX_ATTEMPTS_KEPT = 20


class WebhookConfig(BaseModel):
    url: str
    secret: str = Field(repr=False)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field("", description="The key id that registered it")


class DeliveryStatus(StrEnum):
    sending = "sending"
    delivered = "delivered"
    failed = "failed"


class DeliveryAttempt(BaseModel):
    at: datetime
    status_code: int | None = Field(None, description="The receiver's HTTP status; None when none came back")
    error: str = ""


class Delivery(BaseModel):
    day: str = Field(description="YYYY-MM-DD, SAST")
    status: DeliveryStatus
    url: str
    sender: str = Field(description="Which sender claimed the day (process and run)")
    claimed_at: datetime
    finished_at: datetime | None = None
    attempts: list[DeliveryAttempt] = Field(default_factory=list)


class Claim(BaseModel):
    """The outcome of `claim`: `delivery` is the day's record; `claimed` says whether this sender owns it now."""

    claimed: bool
    delivery: Delivery


class WebhookRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _config(self, org_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "webhooks").document("briefing")

    def _delivery(self, org_id: str, day: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "briefing_deliveries").document(day)

    # Registration ----------------------------------------------------------------------------------------
    def get(self, org_id: str) -> WebhookConfig | None:
        snap = self._config(org_id).get()
        return WebhookConfig(**(snap.to_dict() or {})) if snap.exists else None

    def put(self, org_id: str, config: WebhookConfig) -> WebhookConfig:
        """Register (or replace) the organisation's webhook."""
        self._config(org_id).set(config.model_dump())
        return config

    def delete(self, org_id: str) -> bool:
        """Remove it; False when there was none."""
        ref = self._config(org_id)
        if not ref.get().exists:
            return False
        ref.delete()
        return True

    def registered(self) -> dict[str, WebhookConfig]:
        """Every organisation's webhook, by organisation id (the sender's list: one read per organisation, in
        one round trip; no collection-group index needed)."""
        refs = [self._config(org.id) for org in self.store.client.collection("orgs").list_documents()]
        if not refs:
            return {}
        snaps = self.store.client.get_all(refs)
        return {
            snap.reference.parent.parent.id: WebhookConfig(**(snap.to_dict() or {}))
            for snap in snaps
            if snap.exists and snap.reference.parent.parent is not None
        }

    # Deliveries ------------------------------------------------------------------------------------------
    def delivery(self, org_id: str, day: str) -> Delivery | None:
        snap = self._delivery(org_id, day).get()
        return Delivery(**(snap.to_dict() or {})) if snap.exists else None

    def deliveries(self, org_id: str, limit: int = 7) -> list[Delivery]:
        """The latest deliveries, newest day first."""
        query = self.store.col(org_id, "briefing_deliveries").order_by("day", direction=firestore.Query.DESCENDING)
        return [Delivery(**(snap.to_dict() or {})) for snap in query.limit(limit).stream()]

    def claim(self, org_id: str, day: str, sender: str, url: str, now: datetime | None = None) -> Claim:
        """Take the day's delivery for `sender`, atomically: a new day, or one whose sender died (`sending` for
        longer than CLAIM_LEASE). A day delivered, failed, or being sent by a live sender stays as it is."""
        ref = self._delivery(org_id, day)

        def apply(tx: firestore.Transaction) -> dict[str, Any]:
            at = now or utcnow()
            snap = ref.get(transaction=tx)
            if snap.exists:
                current = Delivery(**(snap.to_dict() or {}))
                stale = current.status == DeliveryStatus.sending and at - current.claimed_at > CLAIM_LEASE
                if not stale:
                    return {"claimed": False, "delivery": current.model_dump()}
                taken = current.model_copy(update={"sender": sender, "claimed_at": at, "url": url})
            else:
                taken = Delivery(day=day, status=DeliveryStatus.sending, url=url, sender=sender, claimed_at=at)
            tx.set(ref, taken.model_dump())
            return {"claimed": True, "delivery": taken.model_dump()}

        return Claim(**self.store.runner.run(apply, lock=[ref.path]))

    def record_attempt(self, org_id: str, day: str, sender: str, attempt: DeliveryAttempt) -> bool:
        """Append an attempt to the day's record; False when `sender` no longer holds the claim."""
        return self._change(org_id, day, sender, lambda d: {"attempts": [*d.attempts, attempt][-MAX_ATTEMPTS_KEPT:]})

    def finish(self, org_id: str, day: str, sender: str, status: DeliveryStatus) -> bool:
        """Close the claim as delivered or failed (final for the day); False when `sender` does not hold it."""
        return self._change(org_id, day, sender, lambda d: {"status": status, "finished_at": utcnow()})

    def release(self, org_id: str, day: str, sender: str) -> bool:
        """Give back a claim before anything was posted (the briefing could not be built): the next run may try."""
        ref = self._delivery(org_id, day)

        def apply(tx: firestore.Transaction) -> bool:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return False
            current = Delivery(**(snap.to_dict() or {}))
            if current.sender != sender or current.status != DeliveryStatus.sending or current.attempts:
                return False
            tx.delete(ref)
            return True

        return self.store.runner.run(apply, lock=[ref.path])

    def _change(self, org_id: str, day: str, sender: str, update: Callable[[Delivery], dict[str, Any]]) -> bool:
        ref = self._delivery(org_id, day)

        def apply(tx: firestore.Transaction) -> bool:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return False
            current = Delivery(**(snap.to_dict() or {}))
            if current.sender != sender or current.status != DeliveryStatus.sending:
                return False
            changed = current.model_copy(update=update(current))
            tx.set(ref, changed.model_dump())
            return True

        return self.store.runner.run(apply, lock=[ref.path])
