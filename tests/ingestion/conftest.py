"""Fixtures of the ingestion tests: real Firestore (the emulator of tests/conftest.py), a SearchService double."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.store import Store
from tests.domain.fixtures import ORG, make_org, repos
from tests.ingestion.doubles import IngestTestServices, InMemorySearchService, write_kb


@pytest.fixture
def services(store: Store) -> IngestTestServices:
    make_org(repos(store), ORG)
    return IngestTestServices(store=store, searcher=InMemorySearchService())


@pytest.fixture
def index(services: IngestTestServices) -> InMemorySearchService:
    return services.searcher


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return write_kb(tmp_path / "kb")
