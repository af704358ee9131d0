"""Fixtures of the API tests: one seeded demo database and one app (real ChatService with the offline model,
real credits and Firestore emulator) shared by the whole API test session, because seeding takes ~6 s and loading
the embedding model ~9 s. Tests that change balances or quotas use organisations of their own (`make_org`);
tests that move stock use SKUs no other test reads."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.config import ApiSettings
from app.api.logging import JsonFormatter, configure_logging
from app.wiring import Services
from assistant.settings import Settings
from domain.credits import MC_PER_CREDIT
from domain.demo import seed
from domain.emulator import FirestoreEmulator
from domain.orgs import Role
from domain.store import Store, make_client
from tests.conftest import MINILM

KEYS = {
    (org, role): f"fx_demo_{org}_{role}" for org in ("bergveld", "fynbos") for role in ("merchant", "support", "admin")
}


def auth(org: str = "bergveld", role: str = "merchant") -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[(org, role)]}"}


@pytest.fixture(scope="session")
def services(emulator: FirestoreEmulator, tmp_path_factory: pytest.TempPathFactory) -> Services:
    project = f"test-api-{uuid.uuid4().hex[:10]}"
    store = Store.connect(make_client(project, emulator_host=emulator.address))
    seed(store)
    # A high rate limit: the rate limiter has tests (and an app) of its own.
    settings = Settings(project=project, data_dir=tmp_path_factory.mktemp("api-data"), rate_limit_per_minute=100_000)
    return Services(settings, store=store, minilm=MINILM)


Stub = Callable[[str, object], None]


@pytest.fixture
def stub(services: Services) -> Iterator[Stub]:
    """`stub(name, value)`: `value` stands in for the lazily built `services.<name>` until the test ends."""
    undo: list[Callable[[], None]] = []
    yield lambda name, value: undo.append(services.override(name, value))
    for step in reversed(undo):
        step()


@pytest.fixture(scope="session")
def app_settings() -> ApiSettings:
    return ApiSettings(max_json_bytes=64 * 1024, max_upload_bytes=256 * 1024)


@pytest.fixture(scope="session")
def client(services: Services, app_settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(services, app_settings)) as test_client:
        yield test_client


def make_org(
    services: Services, balance: float = 0.0, quota: float = 500.0, role: Role = Role.merchant
) -> tuple[str, str]:
    """A fresh organisation with its own credits account and one API key: (org id, key)."""
    org = f"org-{uuid.uuid4().hex[:10]}"
    services.orgs.create(org, f"Test {org}")
    services.credits.open_account(org, daily_quota_mc=round(quota * MC_PER_CREDIT))
    if balance:
        services.credits.grant(org, round(balance * MC_PER_CREDIT), f"opening-{org}")
    return org, services.api_keys.create(org, role, label=f"test {role.value}")


class LogCapture(logging.Handler):
    """The JSON lines the API writes, parsed back: what a log pipeline would see."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_logs() -> Iterator[LogCapture]:
    from app.api.logging import ContextFilter

    configure_logging()
    capture = LogCapture()
    capture.addFilter(ContextFilter())
    for name in ("app", "assistant", "domain"):
        logging.getLogger(name).addHandler(capture)
    try:
        yield capture
    finally:
        for name in ("app", "assistant", "domain"):
            logging.getLogger(name).removeHandler(capture)


def sse_events(text: str) -> list[tuple[str, dict]]:
    """Parse a text/event-stream body into (event, data) pairs (comments and pings skipped)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


def tmp_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path
