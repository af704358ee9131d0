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
