"""Leader/follower batching: the calls that arrive while one batch runs go into the next batch together.

Used where one resource serialises the work anyway (one model in memory, one account document per
organisation): under load N calls cost one run, not N, and the batches grow by themselves.

The invariant: every submitted item gets exactly its own result or exception, or the exception of the batch it
ran in; a lone caller waits for nobody (it runs its own batch at once); nobody hangs when a batch fails or its
runner is interrupted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _one(_: object) -> int:
    return 1


class Batcher(Generic[T, R]):
    """Runs `run_batch` on the items of concurrent `submit` calls, one batch at a time.

    `run_batch(items)` returns one outcome per item, in order: a result, or an exception for that item alone
    (the others of the batch keep theirs). When it raises, every item of the batch gets that exception.
    A batch holds items of a total `size` up to `max_batch` (always at least one item).
    """

    def __init__(
        self,
        run_batch: Callable[[list[T]], Sequence[R | Exception]],
        max_batch: int,
        size: Callable[[T], int] = _one,
    ) -> None:
        if max_batch < 1:
            raise ValueError("a batch holds at least one item")
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._size = size
        self._turn = threading.Lock()  # held by the caller running a batch
        self._queue_lock = threading.Lock()
        self._queue: list[tuple[T, Future[R]]] = []

    def submit(self, item: T) -> R:
        """The outcome of `item`: returned, or raised."""
        mine: Future[R] = Future()
        with self._queue_lock:
            self._queue.append((item, mine))
        while not mine.done():
            with self._turn:
                if mine.done():  # the batch of the caller before us carried ours
                    break
                self._run_next()
        return mine.result()

    def _run_next(self) -> None:
        with self._queue_lock:
            batch: list[tuple[T, Future[R]]] = []
            total = 0
            while self._queue and (not batch or total + self._size(self._queue[0][0]) <= self._max_batch):
                batch.append(self._queue.pop(0))
                total += self._size(batch[-1][0])
        if not batch:
            return
        try:
            outcomes = self._run_batch([item for item, _ in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} items returned {len(outcomes)} outcomes")
        except Exception as exc:  # the batch failed as a whole: so did every item in it
            for _, future in batch:
                future.set_exception(exc)
            return
        except BaseException as exc:  # interrupted (KeyboardInterrupt, SystemExit): the waiters must not hang
            interrupted = RuntimeError("the batch was interrupted")
            interrupted.__cause__ = exc
            for _, future in batch:
                future.set_exception(interrupted)
            raise
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
