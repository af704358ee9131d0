"""Fixtures for the assistant: the demo data seeded into a fresh emulator database per test module, and the
real ChatService (offline model, real tools, real checkpointer and credits) on top of it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from app.wiring import Services
from assistant.service import ChatService
from assistant.settings import Settings
from domain.demo import seed
from domain.emulator import FirestoreEmulator
from domain.orgs import Principal, Role
from domain.store import Store, make_client
from tests.conftest import MINILM


def make_services(emulator: FirestoreEmulator, data_dir: Path, **settings: object) -> Services:
    project = f"test-{uuid.uuid4().hex[:12]}"
    store = Store.connect(make_client(project, emulator_host=emulator.address))
    seed(store)
    return Services(Settings(project=project, data_dir=data_dir, **settings), store=store, minilm=MINILM)


@pytest.fixture(scope="module")
def services(emulator: FirestoreEmulator, tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Services:
    """Seeded demo data shared by a module's tests: tests that write use SKUs and orders no other test reads. The
    session's embedding cache (tests/conftest.py): the demo help centre is embedded once, not once per module."""
    return make_services(emulator, tmp_path_factory.mktemp("data"), cache_dir=embedding_cache)


@pytest.fixture(scope="module")
def demo_kb(services: Services) -> None:
    """The demo help centre indexed for bergveld (the real pipeline: loaders, splitters, MiniLM, hnswlib, BM25)."""
    from importlib import resources

    from ingestion.pipeline import ingest_kb

    with resources.as_file(resources.files("ingestion") / "demo_kb") as folder:
        report = ingest_kb(services, "bergveld", folder, namespace="demo")
    assert report.failed == 0 and report.added > 40


@pytest.fixture(scope="module")
def chat(services: Services) -> ChatService:
    return ChatService(services.settings, services, model=services.chat_model)


def principal(org: str = "bergveld", role: Role = Role.merchant) -> Principal:
    return Principal(org_id=org, role=role, key_id=f"test-{org}-{role.value}", label=f"{org} {role.value}")


@pytest.fixture
def request_id() -> Callable[[], str]:
    return lambda: f"req-{uuid.uuid4().hex[:16]}"
