"""What a crash or a refusal leaves half-done, put right.

- Credit reservations still open after `RESERVATION_TTL` (their request died with its process) are refunded,
  each in a transaction with its ledger entry; the request id can then be used again (its retry runs).
- A confirmation is claimed (`processing`) before its run. When the run is refused (credits, quota) or fails,
  `release_confirmation` puts it back to `pending`, so it can be approved or rejected again. One still
  `processing` after `CONFIRMATION_TTL` (its process died) is closed when its run's answer was stored, and put
  back to `pending` otherwise.

`Recovery` runs both sweeps at start and then periodically, in a daemon thread.
"""

from __future__ import annotations

import atexit
import logging
import threading
from datetime import datetime, timedelta

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from domain.credits import CreditsRepository
from domain.store import Store, utcnow

log = logging.getLogger(__name__)
# Longer than any turn can take (a turn whose client went away still runs to its end), so that only requests
# whose process died are swept.
RESERVATION_TTL = timedelta(minutes=10)
CONFIRMATION_TTL = timedelta(minutes=10)
SWEEP_EVERY_SECONDS = 60.0


def release_confirmation(store: Store, org_id: str, confirmation_id: str) -> bool:
    """Back from `processing` to `pending` (its run was refused or failed, so nothing changed): it can be
    approved or rejected again. False when it is not `processing` (any more)."""
    ref = store.col(org_id, "confirmations").document(confirmation_id)

    def release(tx: firestore.Transaction) -> bool:
        snap = ref.get(transaction=tx)
        if not snap.exists or snap.get("status") != "processing":
            return False
        tx.update(ref, {"status": "pending", "decision": firestore.DELETE_FIELD, "claimed_at": firestore.DELETE_FIELD})
        return True

    return store.runner.run(release, lock=[ref.path])


def sweep_reservations(credits: CreditsRepository, org_id: str, now: datetime | None = None) -> int:
    """Refund the organisation's reservations open for longer than RESERVATION_TTL; how many were refunded."""
    stale = credits.open_reservations(org_id, older_than=(now or utcnow()) - RESERVATION_TTL)
    for request_id in stale:  # a reservation settled meanwhile is left as it is (refund changes only open ones)
        credits.refund(org_id, request_id, "swept: its request did not finish (the server stopped during it)")
    return len(stale)


def sweep_confirmations(store: Store, org_id: str, now: datetime | None = None) -> int:
    """Settle the organisation's confirmations stuck in `processing` for longer than CONFIRMATION_TTL."""
    cutoff = (now or utcnow()) - CONFIRMATION_TTL
    query = store.col(org_id, "confirmations").where(filter=FieldFilter("status", "==", "processing"))
    swept = 0
    for snap in query.stream():
        data = snap.to_dict() or {}
        if (data.get("claimed_at") or data["created_at"]) >= cutoff:
            continue
        request_id = data.get("request_id")
        answered = request_id and store.col(org_id, "responses").document(request_id).get().exists
        if answered:  # the run finished and was stored; only the status update was lost
            status = "approved" if data.get("decision") == "approve" else "rejected"
            snap.reference.update({"status": status, "closed_at": utcnow()})
        else:
            release_confirmation(store, org_id, snap.id)
        swept += 1
    return swept


class Recovery:
    """Sweeps every organisation at start and every `every` seconds until stopped."""

    def __init__(self, store: Store, credits: CreditsRepository, every: float = SWEEP_EVERY_SECONDS) -> None:
        self.store, self.credits, self.every = store, credits, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> dict[str, int]:
        totals = {"reservations": 0, "confirmations": 0}
        for org in self.store.client.collection("orgs").list_documents():
            totals["reservations"] += sweep_reservations(self.credits, org.id)
            totals["confirmations"] += sweep_confirmations(self.store, org.id)
        if any(totals.values()):
            log.warning("recovered after a crash: %s", totals)
        return totals

    def start(self) -> Recovery:
        self._thread = threading.Thread(target=self._loop, name="recovery", daemon=True)
        self._thread.start()
        # Stopped before the interpreter tears down: a daemon thread cut off inside a gRPC call aborts the process.
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=15)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception as exc:  # e.g. Firestore unreachable: the next round tries again
                log.warning("the recovery sweep failed: %s", type(exc).__name__)
            self._stop.wait(self.every)
