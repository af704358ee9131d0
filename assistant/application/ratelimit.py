"""A token bucket per API key, in process memory.

Each key may burst up to `per_minute` requests and refills at `per_minute / 60` per second. The limit is per
instance (Cloud Run scales out; the daily credit quota in Firestore is the organisation-wide limit). Buckets of
keys idle long enough to be full again are dropped, so memory stays bounded by the keys active in a minute.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()  # dependencies run in worker threads
        self._last_sweep = clock()

    def acquire(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds to wait before one is available."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=self.capacity, updated=now)
            else:
                bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                wait = 0.0
            else:
                wait = (1.0 - bucket.tokens) / self.rate
            self._sweep(now)
            return wait

    def wait(self, key: str) -> float:
        """Seconds until `key` has a token (0.0: it has one now), without taking it."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return 0.0
            tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> int:
        """Whole seconds for the Retry-After header, never 0 (clients treat 0 as 'now')."""
        return max(1, math.ceil(wait))

    def _sweep(self, now: float) -> None:
        full_after = self.capacity / self.rate
        if now - self._last_sweep < full_after:
            return
        self._last_sweep = now
        for key in [k for k, b in self._buckets.items() if now - b.updated >= full_after]:
            del self._buckets[key]
