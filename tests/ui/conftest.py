"""One real server per test module: the FastAPI app with the Gradio UI mounted at /ui, in local mode against
the Firestore emulator, seeded with the demo data. It runs in a uvicorn thread of the test process, so that a
test can check the database through the same `Services` (the offline model loads once, ~9 s)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from app.api.app import create_app
from app.wiring import Services
from assistant.settings import Settings
from domain.demo import seed
from domain.emulator import FirestoreEmulator, free_port
from domain.store import Store, make_client
from tests.conftest import MINILM
from ui.app import UI_PATH

DEMO_KB = Path(__file__).resolve().parents[2] / "ingestion" / "demo_kb"


@dataclass
class UiServer:
    base_url: str
    services: Services

    @property
    def ui_url(self) -> str:
        return f"{self.base_url}{UI_PATH}/"


def build_app(services: Services) -> FastAPI:
    """The real app: the API with the UI mounted at /ui."""
    return create_app(services)


def ingest_demo_kb(services: Services, org_id: str = "bergveld") -> object:
    """The demo help centre, indexed for one organisation (the catalogue is left out: it takes minutes)."""
    from ingestion.pipeline import ingest_kb

    return ingest_kb(services, org_id, DEMO_KB, namespace="demo")


@pytest.fixture(scope="module")
def ui_server(
    emulator: FirestoreEmulator, tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path
) -> Iterator[UiServer]:
    project = f"test-ui-{uuid.uuid4().hex[:10]}"
    store = Store.connect(make_client(project, emulator_host=emulator.address))
    seed(store)
    data_dir: Path = tmp_path_factory.mktemp("fluxori-data")
    # The embedding cache is content-addressed, so modules share it: the second KB ingest embeds nothing.
    (data_dir / "cache").symlink_to(embedding_cache, target_is_directory=True)
    # Billing's public URL (PayFast's return and notify URLs, the sandbox's address) follows Settings.port.
    port = free_port()
    settings = Settings(_env_file=None, mode="local", project=project, data_dir=data_dir, port=port)
    services = Services(settings, store=store, minilm=MINILM)
    server = uvicorn.Server(
        uvicorn.Config(build_app(services), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="ui-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the UI server did not start")
        time.sleep(0.1)
    try:
        yield UiServer(base_url=f"http://127.0.0.1:{port}", services=services)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
