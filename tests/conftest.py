"""Shared fixtures. Firestore is Google's own emulator, started once per test session; every test gets a
database of its own through a unique project id, so tests never see each other's data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.emulator import EmulatorError, FirestoreEmulator
from domain.store import Store, make_client
from retrieval.embeddings import SentenceModel

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# The session's one MiniLM (loaded on first use), handed to every `Services(..., minilm=MINILM)` and every test
# that encodes: a server process holds one, and loading it costs seconds.
MINILM = SentenceModel()


@pytest.fixture(scope="session")
def emulator() -> Iterator[FirestoreEmulator]:
    external = os.environ.get("FIRESTORE_EMULATOR_HOST")
    if external:  # reuse one that runs already, e.g. while iterating on a test
        host, port = external.rsplit(":", 1)
        yield FirestoreEmulator(host=host, port=int(port))
        return
    instance = FirestoreEmulator()
    try:
        instance.start()
    except EmulatorError as exc:
        pytest.exit(f"cannot run the tests: {exc}", returncode=2)
    os.environ["FIRESTORE_EMULATOR_HOST"] = instance.address
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the session's indexes of the demo help centre (the agent gate's splits, the UI
    servers, the assistant's tools): it is content-addressed, so only the first of them embeds it."""
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture
def project_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store(emulator: FirestoreEmulator, project_id: str) -> Store:
    return Store.connect(make_client(project_id, emulator_host=emulator.address))
