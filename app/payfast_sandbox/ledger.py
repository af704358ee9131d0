"""The sandbox's memory: payments, saved tokens, the ITNs it sent and every attempt to deliver them.

One lock guards it all, because the routes (event loop) and the delivery threads touch it at once; every method
holds the lock only for a few dictionary operations, so the async validate route may call it directly.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

PaymentStatus = Literal["COMPLETE", "CANCELLED", "FAILED"]
DeliveryState = Literal["pending", "delivered", "gave_up"]


@dataclass(frozen=True)
class Payment:
    pf_payment_id: str
    m_payment_id: str
    payment_status: PaymentStatus
    amount_cents: int
    notify_url: str
    token: str | None = None
    kind: Literal["checkout", "adhoc"] = "checkout"


@dataclass(frozen=True)
class Attempt:
    url: str
    status_code: int | None  # None: no answer at all (refused, timed out)
    at: str
    error: str | None = None


@dataclass
class Delivery:
    """A payment's ITN: what is posted where, and how each attempt went."""

    payment: Payment
    fields: list[tuple[str, str]]
    attempts: list[Attempt] = field(default_factory=list)
    state: DeliveryState = "pending"


@dataclass(frozen=True)
class TokenOwner:
    merchant_id: str
    notify_url: str


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_id = 0
        self._tokens: dict[str, TokenOwner] = {}
        self._sent: set[str] = set()
        self._deliveries: dict[str, Delivery] = {}

    def next_payment_id(self) -> str:
        # From the clock, not from 1: the service keys its ledger entries on pf_payment_id and keeps its data
        # across restarts of `fluxori serve`, so ids must never repeat between two runs of the sandbox.
        with self._lock:
            self._last_id = max(self._last_id + 1, time.time_ns() // 1_000_000)
            return str(self._last_id)

    def new_token(self, merchant_id: str, notify_url: str) -> str:
        token = str(uuid.uuid4())
        with self._lock:
            self._tokens[token] = TokenOwner(merchant_id=merchant_id, notify_url=notify_url)
        return token

    def token_owner(self, token: str) -> TokenOwner | None:
        with self._lock:
            return self._tokens.get(token)

    def record(self, delivery: Delivery, param_string: str) -> None:
        """A payment and its ITN, remembered before the first POST: the receiver validates while handling it."""
        with self._lock:
            self._sent.add(param_string)
            self._deliveries[delivery.payment.pf_payment_id] = delivery

    def was_sent(self, param_string: str) -> bool:
        with self._lock:
            return param_string in self._sent

    def add_attempt(self, pf_payment_id: str, attempt: Attempt) -> None:
        with self._lock:
            self._deliveries[pf_payment_id].attempts.append(attempt)

    def finish(self, pf_payment_id: str, state: DeliveryState) -> None:
        with self._lock:
            self._deliveries[pf_payment_id].state = state

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(delivery) for delivery in self._deliveries.values()]
