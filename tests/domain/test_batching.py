"""The leader/follower batcher on its own: concurrent callers share runs and each gets its own outcome, a failing
batch fails exactly its own callers, an interrupted runner leaves nobody hanging, and a lone caller waits for
nobody."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.batching import Batcher


class Doubler:
    """A stand-in resource: doubles numbers, 20 ms a run; a negative number is refused alone, 13 fails the run."""

    def __init__(self) -> None:
        self.runs: list[list[int]] = []

    def __call__(self, items: list[int]) -> list[int | Exception]:
        self.runs.append(list(items))
        time.sleep(0.02)
        if 13 in items:
            raise RuntimeError("the run failed")
        return [ValueError(f"refused {n}") if n < 0 else 2 * n for n in items]


def test_a_lone_caller_runs_its_own_batch_at_once():
    run = Doubler()
    batcher = Batcher(run, max_batch=10)
    started = time.monotonic()
    assert batcher.submit(4) == 8
    assert run.runs == [[4]] and time.monotonic() - started < 1


def test_concurrent_callers_share_runs_and_each_gets_its_own_outcome():
    run = Doubler()
    batcher = Batcher(run, max_batch=8)

    def call(n: int) -> int | str:
        try:
            return batcher.submit(n)
        except ValueError as exc:
            return str(exc)

    numbers = [n if n % 5 else -n for n in range(1, 41) if n != 13]
    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(call, numbers))
    assert outcomes == [2 * n if n > 0 else f"refused {n}" for n in numbers]
    assert sorted(n for r in run.runs for n in r) == sorted(numbers)  # each item ran exactly once
    assert len(run.runs) < len(numbers), "concurrent callers should have been batched"
    assert max(len(r) for r in run.runs) <= 8


def test_a_failing_batch_fails_exactly_its_own_callers_and_nobody_hangs():
    run = Doubler()
    batcher = Batcher(run, max_batch=100)
    barrier = threading.Barrier(8)
    results: dict[int, int | str] = {}

    def call(n: int) -> None:
        barrier.wait()
        try:
            results[n] = batcher.submit(n)
        except RuntimeError as exc:
            results[n] = str(exc)

    threads = [threading.Thread(target=call, args=(n,)) for n in [13, 1, 2, 3, 4, 5, 6, 7]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 8, "a caller hangs"
    failed = next(r for r in run.runs if 13 in r)
    assert {n for n, r in results.items() if r == "the run failed"} == set(failed)
    assert all(results[n] == 2 * n for n in results if n not in failed)


def test_the_size_of_an_item_counts_towards_the_batch_and_an_oversized_item_runs_alone():
    runs: list[list[str]] = []
    gate = threading.Event()

    def run(items: list[str]) -> list[str | Exception]:
        runs.append(list(items))
        if len(runs) == 1:
            gate.wait(5)  # hold the first run so that the others queue up behind it
        return [item.upper() for item in items]

    batcher = Batcher(run, max_batch=4, size=len)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(batcher.submit, "a")
        while not runs:
            time.sleep(0.001)
        later = [pool.submit(batcher.submit, item) for item in ["bb", "cc", "dddddd"]]
        time.sleep(0.05)
        gate.set()
        assert first.result() == "A" and [f.result() for f in later] == ["BB", "CC", "DDDDDD"]
    assert all(sum(map(len, r)) <= 4 or len(r) == 1 for r in runs)
    assert ["dddddd"] in runs


def test_an_interrupted_runner_raises_and_the_others_of_its_batch_get_an_error_instead_of_hanging():
    entered, release = threading.Event(), threading.Event()

    def run(items: list[int]) -> list[int | Exception]:
        if items == [5]:  # the first run: hold it, so that 0 and 1 queue up for the next one together
            entered.set()
            release.wait(5)
        if 0 in items:
            raise KeyboardInterrupt
        return items

    batcher = Batcher(run, max_batch=10)
    outcomes: dict[int, str] = {}

    def call(n: int) -> None:
        try:
            outcomes[n] = str(batcher.submit(n))
        except KeyboardInterrupt:
            outcomes[n] = "interrupted here"
        except RuntimeError as exc:
            outcomes[n] = str(exc)

    threads = [threading.Thread(target=call, args=(5,))]
    threads[0].start()
    assert entered.wait(5)
    threads += [threading.Thread(target=call, args=(n,)) for n in (0, 1)]
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(5)
    assert outcomes[5] == "5"
    assert sorted([outcomes[0], outcomes[1]]) == ["interrupted here", "the batch was interrupted"]


def test_a_batch_must_hold_an_item():
    with pytest.raises(ValueError):
        Batcher(Doubler(), max_batch=0)
