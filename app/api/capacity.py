"""How many chat turns one process runs at once, and what happens beyond that: a 503 with `Retry-After`.

A turn spends most of its time waiting on the model (1-3 s per Gemini call, two calls for a turn that uses a tool)
and little on the CPU, and the agent, the checkpointer and the tools are synchronous. So turns run on a pool of
threads of their own, sized on purpose (`FLUXORI_CHAT_CONCURRENCY`), instead of Starlette's shared 40-thread pool,
which capped an instance near 20 chats/s at 2 s of model time per turn however idle its CPU was.

Beyond the bound the caller gets a clean 503 at once rather than a place in an unbounded queue: Cloud Run (whose
`concurrency` is set below this bound, see terraform/) or the client retries elsewhere or later.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from app.api.errors import ApiError

T = TypeVar("T")


class ChatCapacity:
    def __init__(self, limit: int, retry_after_seconds: int = 1) -> None:
        self.limit = limit
        self.retry_after_seconds = retry_after_seconds
        self._slots = threading.BoundedSemaphore(limit)
        self._pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="chat-turn")

    def acquire(self) -> None:
        """Takes a slot or refuses with 503; whoever acquires must `release` (or hand the slot to `start`)."""
        if not self._slots.acquire(blocking=False):
            raise ApiError(
                503,
                "unavailable",
                f"the assistant is answering {self.limit} conversations on this instance; retry in a moment",
                headers={"Retry-After": str(self.retry_after_seconds)},
            )

    def release(self) -> None:
        self._slots.release()

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Runs a whole turn in the pool under a slot. The slot comes back when the turn ends, not when the
        caller stops waiting (a cancelled request's turn still occupies its thread)."""
        self.acquire()
        try:
            future = self._pool.submit(contextvars.copy_context().run, fn, *args)
        except BaseException:
            self.release()
            raise
        future.add_done_callback(lambda _: self.release())
        return await asyncio.wrap_future(future)

    async def call(self, fn: Callable[..., T], *args: object) -> T:
        """Runs `fn` in the pool for a caller that already holds a slot (the context is copied: request id and
        organisation reach the thread's log records)."""
        return await asyncio.wrap_future(self._pool.submit(contextvars.copy_context().run, fn, *args))

    def start(self, fn: Callable[[], None]) -> None:
        """Runs `fn` in the pool and releases the caller's slot when it ends (a streamed turn holds its slot
        until the turn is over, whether or not anybody is still listening)."""

        def run() -> None:
            try:
                fn()
            finally:
                self.release()

        self._pool.submit(run)
