"""POST /v1/chat and /v1/chat/confirm through the real service: JSON, server-sent events, the confirmation flow,
credits refusals (402/429) and the organisation boundary."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from app.wiring import Services
from assistant.contracts import StreamEvent
from domain.errors import Conflict
from tests.api.conftest import auth, make_org, sse_events

STREAM = {"Accept": "text/event-stream"}


def test_merchant_gets_a_cited_answer_with_usage_and_balance(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "how many BV-TENT-0002 do we have in Cape Town?"}, headers=auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert "BV-TENT-0002" in body["answer"]
    assert body["citations"][0]["source"] == "product:BV-TENT-0002"
    assert body["actions"][0]["tool"] == "stock_level" and body["actions"][0]["status"] == "executed"
    assert body["usage"]["credits_charged"] > 0 and body["usage"]["input_tokens"] > 0
    assert 0 < body["credits_balance"] <= 1000
    assert r.headers["x-request-id"]


def test_conversation_continues_with_its_id(client: TestClient) -> None:
    first = client.post("/v1/chat", json={"message": "stock of BV-TENT-0003 in Johannesburg"}, headers=auth()).json()
    r = client.post(
        "/v1/chat", json={"message": "and in Durban?", "conversation_id": first["conversation_id"]}, headers=auth()
    )
    assert r.status_code == 200, r.text
    assert r.json()["conversation_id"] == first["conversation_id"]


def test_support_answers_come_from_the_knowledge_base_only(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "cancel order 1001"}, headers=auth("fynbos", "support"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pending_confirmation"] is None
    assert {a["tool"] for a in body["actions"]} <= {"search_knowledge_base"}


def test_admin_may_not_chat(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "hello"}, headers=auth("bergveld", "admin"))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


def test_stream_sends_tokens_tool_events_and_a_final_event_with_usage(client: TestClient) -> None:
    r = client.post(
        "/v1/chat", json={"message": "how many BV-TENT-0002 do we have in Cape Town?"}, headers={**auth(), **STREAM}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-request-id"]
    events = sse_events(r.text)
    names = [name for name, _ in events]
    assert names[-1] == "final" and names.count("final") == 1
    assert "error" not in names
    assert names.index("tool_call") < names.index("tool_result") < names.index("final")
    assert "token" in names
    text = "".join(data["text"] for name, data in events if name == "token")
    final = events[-1][1]
    assert text.strip() == final["answer"].strip()
    assert final["usage"]["credits_charged"] > 0 and final["usage"]["output_tokens"] > 0


def test_stream_refusal_before_the_turn_is_an_http_error_not_a_stream(client: TestClient, services: Services) -> None:
    _, key = make_org(services, balance=0)
    r = client.post("/v1/chat", json={"message": "hello"}, headers={"Authorization": f"Bearer {key}", **STREAM})
    assert r.status_code == 402
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == "insufficient_credits"


def test_failure_mid_stream_becomes_an_error_event(client: TestClient, services: Services, monkeypatch) -> None:
    def broken_stream(principal, request, request_id):  # reservation done; the run fails after a first token
        def run():
            yield StreamEvent(event="token", data={"text": "Let me "})
            raise RuntimeError("model crashed: secret internals")

        return run()

    monkeypatch.setattr(services.assistant, "stream", broken_stream)
    r = client.post("/v1/chat", json={"message": "hello"}, headers={**auth(), **STREAM})
    assert r.status_code == 200
    events = sse_events(r.text)
    assert [name for name, _ in events] == ["token", "error"]
    error = events[-1][1]
    assert error["code"] == "internal" and error["request_id"] == r.headers["x-request-id"]
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_domain_refusal_mid_stream_keeps_its_code(client: TestClient, services: Services, monkeypatch) -> None:
    def conflicting(principal, request, request_id):
        def run():
            raise Conflict("this confirmation is already approved")
            yield  # pragma: no cover

        return run()

    monkeypatch.setattr(services.assistant, "stream", conflicting)
    r = client.post("/v1/chat", json={"message": "hello"}, headers={**auth(), **STREAM})
    assert sse_events(r.text) == [
        (
            "error",
            {
                "code": "conflict",
                "message": "this confirmation is already approved",
                "request_id": r.headers["x-request-id"],
            },
        )
    ]


def test_retry_with_the_same_request_id_is_answered_once_and_charged_once(
    client: TestClient, services: Services
) -> None:
    headers = {**auth("fynbos"), "X-Request-ID": f"retry-{uuid.uuid4().hex}"}
    message = {"message": "stock of FG-SERUM-0001 in Durban"}
    first = client.post("/v1/chat", json=message, headers=headers)
    balance = services.credits.account("fynbos").balance_mc
    again = client.post("/v1/chat", json=message, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["x-request-id"] == headers["X-Request-ID"]
    assert services.credits.account("fynbos").balance_mc == balance


def _stock(services: Services, sku: str) -> dict[str, int]:
    return {level.warehouse: level.on_hand for level in services.inventory.levels_for_sku("bergveld", sku)}


def test_transfer_waits_for_confirmation_then_moves_stock(client: TestClient, services: Services) -> None:
    before = _stock(services, "BV-TENT-0001")
    r = client.post("/v1/chat", json={"message": "move 5 BV-TENT-0001 from Johannesburg to Durban"}, headers=auth())
    assert r.status_code == 200, r.text
    pending = r.json()["pending_confirmation"]
    assert pending and "BV-TENT-0001" in pending["summary"]
    assert _stock(services, "BV-TENT-0001") == before  # nothing moves on the model's word

    # Another organisation cannot see it, and support may not confirm.
    other = client.post(
        "/v1/chat/confirm", json={"confirmation_id": pending["id"], "approve": True}, headers=auth("fynbos")
    )
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    support = client.post(
        "/v1/chat/confirm",
        json={"confirmation_id": pending["id"], "approve": True},
        headers=auth("bergveld", "support"),
    )
    assert support.status_code == 403

    done = client.post("/v1/chat/confirm", json={"confirmation_id": pending["id"], "approve": True}, headers=auth())
    assert done.status_code == 200, done.text
    assert any(a["tool"] == "transfer_stock" and a["status"] == "executed" for a in done.json()["actions"])
    after = _stock(services, "BV-TENT-0001")
    assert after["JHB"] == before["JHB"] - 5 and after["DBN"] == before["DBN"] + 5

    twice = client.post("/v1/chat/confirm", json={"confirmation_id": pending["id"], "approve": True}, headers=auth())
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    assert _stock(services, "BV-TENT-0001") == after


def test_rejected_transfer_changes_nothing(client: TestClient, services: Services) -> None:
    before = _stock(services, "BV-TENT-0004")
    r = client.post("/v1/chat", json={"message": "transfer 3 units of BV-TENT-0004 from JHB to CPT"}, headers=auth())
    pending = r.json()["pending_confirmation"]
    assert pending, r.text
    done = client.post(
        "/v1/chat/confirm", json={"confirmation_id": pending["id"], "approve": False}, headers={**auth(), **STREAM}
    )
    assert done.status_code == 200
    final = sse_events(done.text)[-1]
    assert final[0] == "final"
    assert all(a["status"] != "executed" or a["tool"] != "transfer_stock" for a in final[1]["actions"])
    assert _stock(services, "BV-TENT-0004") == before


def test_unknown_confirmation_is_404(client: TestClient) -> None:
    r = client.post("/v1/chat/confirm", json={"confirmation_id": "no-such-thing", "approve": True}, headers=auth())
    assert r.status_code == 404


def test_out_of_credits_is_402_with_a_message_that_says_how_to_top_up(client: TestClient, services: Services) -> None:
    org, key = make_org(services, balance=0.05)  # less than one request's reservation
    r = client.post("/v1/chat", json={"message": "hello"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 402
    error = r.json()["error"]
    assert error["code"] == "insufficient_credits" and "/v1/billing/checkout" in error["message"]
    assert services.credits.account(org).balance_mc == 50  # refused before anything was charged


def test_daily_quota_is_429_with_retry_after(client: TestClient, services: Services) -> None:
    _, key = make_org(services, balance=100, quota=0.01)
    r = client.post("/v1/chat", json={"message": "hello"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "quota_exceeded"
    assert 1 <= int(r.headers["retry-after"]) <= 86_400


def test_draining_credits_ends_in_402(client: TestClient, services: Services) -> None:
    """Enough for one reservation: the first turn runs and is settled, the next cannot reserve again."""
    chat = services.assistant
    reservation = chat.prices.reservation_mc(chat.price)  # what one turn holds before it runs
    org, key = make_org(services, balance=reservation / 1000)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.post("/v1/chat", json={"message": "hello"}, headers=headers).status_code == 200
    assert client.post("/v1/chat", json={"message": "hello"}, headers=headers).status_code == 402
    assert services.credits.ledger_total(org) == services.credits.account(org).balance_mc
