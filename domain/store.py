"""The Firestore handle every repository shares: the client, the transaction runner and the org-scoped paths."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore

from domain.metrics import FIRESTORE_ERRORS
from domain.transactions import TransactionRunner

T = TypeVar("T")
# A Firestore document, handed to the layers above as an opaque handle (e.g. written in a caller's transaction).
DocRef = firestore.DocumentReference

# Bounds on every Firestore call. google-api-core's defaults retry for up to 300 s (60 s for some calls), so in an
# outage a request hung for minutes before failing. Now a call that cannot reach Firestore retries for at most
# RETRY_BUDGET_SECONDS, and one attempt waits at most CALL_DEADLINE_SECONDS for an answer (a large batch on a
# busy emulator may need several seconds); then it raises one of domain.errors.OUTAGE_ERRORS, which the API
# answers with 503 and Retry-After.
RETRY_BUDGET_SECONDS = 5.0
CALL_DEADLINE_SECONDS = 8.0
BULK_DEADLINE_SECONDS = 60.0


def make_client(
    project: str,
    database: str = "(default)",
    emulator_host: str | None = None,
    on_each_write: Callable[[], None] | None = None,
) -> firestore.Client:
    """The official client; with `emulator_host` it talks to the local emulator (which needs no credentials).
    Every call it makes is bounded in time (see `bound_deadlines`); `on_each_write` is called after each write
    (local mode marks its data directory changed with it, see `on_write`)."""
    if emulator_host:
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator_host
    client = firestore.Client(project=project, database=database)
    bound_deadlines(client)
    if on_each_write is not None:
        on_write(client, on_each_write)
    return client


def bound_deadlines(
    client: firestore.Client, retry_seconds: float = RETRY_BUDGET_SECONDS, call_seconds: float = CALL_DEADLINE_SECONDS
) -> None:
    """Bound the default retries (`retry_seconds` in all) and the default timeout (`call_seconds`, counted from
    the first attempt) of every RPC of `client`.

    The client takes `retry=`/`timeout=` per call only, and calls are made in many places (repositories,
    queries, transactions, the checkpointer, ingestion), so the defaults are changed once where the generated
    client keeps them: each RPC's wrapper (`_GapicCallable`) in the transport's `_wrapped_methods`. Retries keep
    their predicate and backoff, within the budget. A call that passes its own `timeout=` keeps it.
    """
    transport = client._firestore_api._transport  # built on first access; no network until the first call
    for method, wrapped in list(transport._wrapped_methods.items()):
        if getattr(wrapped, "_retry", None) is not None:
            wrapped._retry = wrapped._retry.with_timeout(retry_seconds)
        wrapped._timeout = call_seconds
        transport._wrapped_methods[method] = _CountingErrors(wrapped)


class _CountingErrors:
    """An RPC that counts its outages in `fluxori_firestore_errors_total` (not the answers that are part of the
    protocol: not found, already exists, a failed precondition, an aborted transaction). It stands where the SDK
    keeps the RPC and passes everything else through: the SDK reads the RPC's `_retry` when it retries a query."""

    def __init__(self, inner: Callable[..., object]) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def __call__(self, *args: object, **kwargs: object) -> object:
        try:
            return self._inner(*args, **kwargs)
        except (gexc.ServiceUnavailable, gexc.RetryError):
            FIRESTORE_ERRORS.labels(kind="unavailable").inc()
            raise
        except gexc.DeadlineExceeded:
            FIRESTORE_ERRORS.labels(kind="deadline").inc()
            raise
        except (gexc.InternalServerError, gexc.Unknown, gexc.ResourceExhausted):
            FIRESTORE_ERRORS.labels(kind="other").inc()
            raise


_WRITE_RPCS = ("commit", "batch_write", "create_document", "update_document", "delete_document")


def on_write(client: firestore.Client, callback: Callable[[], None]) -> None:
    """Call `callback()` after every write RPC of `client` that succeeded (local mode: mark the data changed so
    that the emulator's guard exports it). Every write of the Python client, in or out of a transaction, is one
    of these RPCs."""
    transport = client._firestore_api._transport
    for name in _WRITE_RPCS:
        method = getattr(transport, name)
        inner = transport._wrapped_methods[method]

        def call(*args: object, _inner: Callable[..., object] = inner, **kwargs: object) -> object:
            result = _inner(*args, **kwargs)
            callback()
            return result

        transport._wrapped_methods[method] = call


def in_background(fn: Callable[[], T]) -> Future[T]:
    """Run `fn` in a daemon thread: wait for its result with `.result(timeout=...)` and give up when it takes
    too long (a health probe must answer whatever the backend does; a daemon thread never holds the exit)."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the waiter, if it still waits
            future.set_exception(exc)

    threading.Thread(target=run, name="probe", daemon=True).start()
    return future


def read_all(
    tx: firestore.Transaction, *refs: firestore.DocumentReference
) -> list[firestore.DocumentSnapshot[firestore.DocumentReference]]:
    """The snapshots of `refs`, in their order, read in one round trip (Firestore returns them in any order)."""
    by_path = {snap.reference.path: snap for snap in tx.get_all(list(refs))}
    return [by_path[ref.path] for ref in refs]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Store:
    client: firestore.Client
    runner: TransactionRunner

    @classmethod
    def connect(cls, client: firestore.Client) -> Store:
        return cls(client=client, runner=TransactionRunner(client))

    def org(self, org_id: str) -> firestore.DocumentReference:
        return self.client.collection("orgs").document(org_id)

    def col(self, org_id: str, name: str) -> firestore.CollectionReference:
        collection: firestore.CollectionReference = self.org(org_id).collection(name)
        return collection

    def ping(self, seconds: float) -> None:
        """One cheap read that gives up after `seconds` without retrying (readiness probes)."""
        self.client.collection("orgs").limit(1).get(timeout=seconds, retry=None)


class BatchedWriter:
    """Many writes without a transaction, committed every 400 (Firestore takes at most 500 per batch); use it as a
    context manager so that the last batch is committed too. For seeding and maintenance, not for invariants."""

    def __init__(self, client: firestore.Client) -> None:
        self.client, self.batch, self.count = client, client.batch(), 0

    def set(self, ref: firestore.DocumentReference, data: dict[str, Any]) -> None:
        self.batch.set(ref, data)
        self._added()

    def update(self, ref: firestore.DocumentReference, data: dict[str, Any]) -> None:
        self.batch.update(ref, data)
        self._added()

    def _added(self) -> None:
        self.count += 1
        if self.count % 400 == 0:
            self.flush()

    def flush(self) -> None:
        # Seeding and maintenance, not a request: a batch of 400 on a busy emulator may take longer than a call.
        self.batch.commit(timeout=BULK_DEADLINE_SECONDS)
        self.batch = self.client.batch()

    def __enter__(self) -> BatchedWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.flush()
