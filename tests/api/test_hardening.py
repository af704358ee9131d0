"""Money and decisions are strictly typed; a key revoked in this process is refused on its next request;
unknown keys are throttled per client address before they cost a Firestore read."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.auth import UNKNOWN_KEYS_PER_MINUTE
from app.wiring import Services
from domain.orgs import Role
from tests.api.conftest import auth, make_org


@pytest.mark.parametrize("credits", [True, "10", "1e3", None])
def test_credits_must_be_a_json_number(client: TestClient, credits: object) -> None:
    r = client.post(
        "/v1/admin/credits", json={"credits": credits, "idempotency_key": "strict-1"}, headers=auth(role="admin")
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == "credits"


@pytest.mark.parametrize("approve", ["yes", "true", 1, 0, None])
def test_approve_must_be_a_json_boolean(client: TestClient, approve: object) -> None:
    r = client.post("/v1/chat/confirm", json={"confirmation_id": "abc", "approve": approve}, headers=auth())
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == "approve"


def test_a_key_revoked_in_this_process_is_refused_on_its_next_request(client: TestClient, services: Services) -> None:
    _, key = make_org(services, role=Role.admin)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/credits", headers=headers).status_code == 200  # the key is cached now
    principal = services.api_keys.authenticate(key)
    services.api_keys.revoke(principal.key_id)
    assert client.get("/v1/credits", headers=headers).status_code == 401


def test_unknown_keys_are_throttled_per_address_before_a_read(services: Services, monkeypatch) -> None:
    _, key = make_org(services)
    reads: list[str] = []
    collection = services.api_keys._keys
    document = collection.document
    monkeypatch.setattr(collection, "document", lambda key_id: reads.append(key_id) or document(key_id))
    with TestClient(create_app(services)) as fresh:  # an authenticator (and throttle) of its own
        known = {"Authorization": f"Bearer {key}"}
        assert fresh.get("/v1/credits", headers=known).status_code == 200
        statuses = [
            fresh.get("/v1/credits", headers={"Authorization": f"Bearer fx_guess_{n}"}).status_code
            for n in range(UNKNOWN_KEYS_PER_MINUTE + 10)
        ]
        assert statuses[:UNKNOWN_KEYS_PER_MINUTE] == [401] * UNKNOWN_KEYS_PER_MINUTE
        assert set(statuses[UNKNOWN_KEYS_PER_MINUTE:]) == {429}
        assert len(reads) == 1 + UNKNOWN_KEYS_PER_MINUTE  # the throttled guesses cost no read
        throttled = fresh.get("/v1/credits", headers={"Authorization": "Bearer fx_guess_again"})
        assert int(throttled.headers["Retry-After"]) >= 1
        assert fresh.get("/v1/credits", headers=known).status_code == 200  # a key in use still works
