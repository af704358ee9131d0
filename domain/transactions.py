"""Running Firestore transactions with retries, backoff and per-document serialisation.

Firestore's server client locks what a transaction reads. Two transactions of one process that read and then
write the same document block each other until one is aborted (on the emulator only after a 2 s lock timeout),
so a process first takes an in-process lock for the documents it is about to change. Contention with other
processes is left to Firestore and retried here with exponential backoff and jitter. The locks only save
time: correctness comes from the transaction itself.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore

from domain.errors import ContentionError, outage_of

T = TypeVar("T")

# Contention only. An unreachable or slow Firestore (ServiceUnavailable, DeadlineExceeded) was already retried by
# the client within its deadline (domain.store.CALL_DEADLINE_SECONDS): retrying it here would multiply the wait.
_RETRYABLE = (gexc.Aborted, gexc.Conflict)


class _StripedLocks:
    """A fixed set of locks chosen by key hash: bounded memory, and sorted acquisition avoids deadlock."""

    def __init__(self, stripes: int = 256) -> None:
        self._locks = [threading.Lock() for _ in range(stripes)]

    @contextmanager
    def hold(self, keys: Iterable[str]) -> Iterator[None]:
        indexes = sorted({hash(key) % len(self._locks) for key in keys})
        taken: list[threading.Lock] = []
        try:
            for index in indexes:
                self._locks[index].acquire()
                taken.append(self._locks[index])
            yield
        finally:
            for lock in reversed(taken):
                lock.release()


class TransactionRunner:
    def __init__(
        self,
        client: firestore.Client,
        *,
        attempts: int = 10,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._locks = _StripedLocks()

    def run(self, fn: Callable[[firestore.Transaction], T], *, lock: Iterable[str] = ()) -> T:
        """Run `fn(transaction)` atomically; `lock` names the documents it will change (their paths)."""
        wrapped = firestore.transactional(fn)
        delay = self.base_delay
        with self._locks.hold(lock):
            for attempt in range(1, self.attempts + 1):
                try:
                    result: T = wrapped(self.client.transaction(max_attempts=1))
                    return result
                except ValueError as exc:  # the client's "failed to commit" wraps the server's Aborted
                    if (outage := outage_of(exc)) is not None:  # wrapped by the rollback that failed too
                        raise outage from None
                    if not isinstance(exc.__cause__, _RETRYABLE):
                        raise
                except _RETRYABLE:
                    pass
                if attempt < self.attempts:
                    time.sleep(random.uniform(delay / 2, delay))
                    delay = min(delay * 2, self.max_delay)
        raise ContentionError(
            f"the change could not be saved after {self.attempts} attempts because of concurrent updates; "
            "please try again"
        )
