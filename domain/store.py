"""The Firestore handle every repository shares: the client, the transaction runner and the org-scoped paths."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from google.cloud import firestore

from domain.transactions import TransactionRunner


def make_client(project: str, database: str = "(default)", emulator_host: str | None = None) -> firestore.Client:
    """The official client; with `emulator_host` it talks to the local emulator (which needs no credentials)."""
    if emulator_host:
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator_host
    return firestore.Client(project=project, database=database)


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
        return self.org(org_id).collection(name)


class BatchedWriter:
    """Many writes without a transaction, committed every 400 (Firestore takes at most 500 per batch); use it as a
    context manager so that the last batch is committed too. For seeding and maintenance, not for invariants."""

    def __init__(self, client: firestore.Client) -> None:
        self.client, self.batch, self.count = client, client.batch(), 0

    def set(self, ref: firestore.DocumentReference, data: dict) -> None:
        self.batch.set(ref, data)
        self._added()

    def update(self, ref: firestore.DocumentReference, data: dict) -> None:
        self.batch.update(ref, data)
        self._added()

    def _added(self) -> None:
        self.count += 1
        if self.count % 400 == 0:
            self.flush()

    def flush(self) -> None:
        self.batch.commit()
        self.batch = self.client.batch()

    def __enter__(self) -> BatchedWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.flush()
