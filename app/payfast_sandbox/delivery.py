"""ITN delivery as PayFast does it: a form-encoded POST to notify_url, repeated with a growing pause until the
receiver answers 200 or the attempts run out. Each delivery runs in a thread of its own, so a slow or failing
receiver holds up neither the buyer's redirect nor other payments."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import httpx

from app.payfast_sandbox.ledger import Attempt, Delivery, Ledger, now_text
from assistant.billing.payfast import param_string

log = logging.getLogger(__name__)
NotifyClientFactory = Callable[[], httpx.Client]
MAX_PAUSE_SECONDS = 60.0


def default_notify_client() -> httpx.Client:
    return httpx.Client(timeout=10)


class Deliverer:
    def __init__(
        self,
        ledger: Ledger,
        client_factory: NotifyClientFactory,
        *,
        first_retry_seconds: float,
        max_attempts: int,
    ) -> None:
        if max_attempts < 1 or first_retry_seconds < 0:
            raise ValueError("max_attempts must be at least 1 and first_retry_seconds not negative")
        self.ledger = ledger
        self.client_factory = client_factory
        self.first_retry_seconds = first_retry_seconds
        self.max_attempts = max_attempts

    def pause(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (1-based): doubling, capped at a minute."""
        return float(min(self.first_retry_seconds * 2 ** (attempt - 1), MAX_PAUSE_SECONDS))

    def start(self, delivery: Delivery) -> None:
        name = f"payfast-itn-{delivery.payment.pf_payment_id}"
        threading.Thread(target=self._run, args=(delivery,), name=name, daemon=True).start()

    def _run(self, delivery: Delivery) -> None:
        pf_payment_id = delivery.payment.pf_payment_id
        try:
            with self.client_factory() as client:
                for attempt in range(1, self.max_attempts + 1):
                    if self._attempt(client, delivery):
                        self.ledger.finish(pf_payment_id, "delivered")
                        return
                    if attempt < self.max_attempts:
                        time.sleep(self.pause(attempt))
        except Exception:  # a broken client factory must not kill the thread silently
            log.exception("payfast sandbox: the ITN of payment %s could not be delivered", pf_payment_id)
        log.warning("payfast sandbox: gave up on the ITN of payment %s", pf_payment_id)
        self.ledger.finish(pf_payment_id, "gave_up")

    def _attempt(self, client: httpx.Client, delivery: Delivery) -> bool:
        url = delivery.payment.notify_url
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        try:
            response = client.post(url, content=param_string(delivery.fields), headers=headers)
        except httpx.HTTPError as exc:
            self.ledger.add_attempt(delivery.payment.pf_payment_id, Attempt(url, None, now_text(), str(exc)))
            return False
        self.ledger.add_attempt(delivery.payment.pf_payment_id, Attempt(url, response.status_code, now_text()))
        return response.status_code == 200
