"""Firestore goes away while the API serves: answers are 503 with Retry-After within seconds, not a hang of
minutes and a 500; /readyz answers within 2 s. The emulator killed is this test's own."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from app.api.app import create_app
from app.wiring import Services
from assistant.settings import Settings
from domain.credits import MC_PER_CREDIT
from domain.emulator import FirestoreEmulator
from domain.orgs import Role
from domain.store import Store, make_client
from tests.faults.conftest import kill_emulator

OUTAGE_ANSWER_SECONDS = 15  # the bound; the client's budget makes it about 5-8 s


def _services(emulator: FirestoreEmulator, data_dir: Path) -> tuple[Services, str]:
    project = f"outage-{uuid.uuid4().hex[:8]}"
    store = Store.connect(make_client(project, emulator_host=emulator.address))
    services = Services(Settings(project=project, data_dir=data_dir), store=store)
    services.orgs.create("outage-org", "Outage")
    services.credits.open_account("outage-org")
    services.credits.grant("outage-org", 50 * MC_PER_CREDIT, "opening")
    return services, services.api_keys.create("outage-org", Role.merchant)


def _timed(client: TestClient, method: str, path: str, **kwargs: object):
    started = time.monotonic()
    response = client.request(method, path, **kwargs)
    return response, time.monotonic() - started


def test_outage_answers_503_fast_and_readiness_within_2s(own_emulator: FirestoreEmulator, tmp_path: Path):
    services, key = _services(own_emulator, tmp_path)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(services)) as client:
        assert client.get("/v1/credits", headers=headers).status_code == 200
        _ = services.assistant  # built before the outage, as a warm server has it
        assert client.get("/readyz").json()["checks"]["firestore"] == "ok"

        kill_emulator(own_emulator.pid)

        ready, ready_seconds = _timed(client, "GET", "/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["firestore"].startswith("error")
        assert ready_seconds < 2.0

        for method, path, body in (("GET", "/v1/credits", None), ("POST", "/v1/chat", {"message": "hello"})):
            response, seconds = _timed(client, method, path, headers=headers, json=body)
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "unavailable"
            assert int(response.headers["Retry-After"]) > 0
            assert seconds < OUTAGE_ANSWER_SECONDS, f"{method} {path} took {seconds:.1f} s"
