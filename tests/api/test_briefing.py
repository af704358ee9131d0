"""GET /v1/briefing on the demo data (its sections, with the planning tools' figures), and the briefing's webhook:
who may register one, the https and SSRF rules (422), and a delivery of the real briefing to a local receiver
that checks the signature and fails the first attempt."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.wiring import Services
from assistant.application.briefing import DISPATCH_PROMISE, paid_at
from assistant.application.webhook_delivery import Outcome, RetryPolicy, Sender
from assistant.application.webhook_signing import SIGNATURE_HEADER
from domain.credits import SAST
from domain.orders import OrderStatus
from domain.orgs import Role
from domain.store import utcnow
from domain.trade import ShipmentStatus
from domain.webhooks import WebhookRepository
from tests.api.conftest import auth, make_org

KINDS = ["stockouts", "rebalance", "late_orders", "shipments", "credits"]


def sections(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {section["kind"]: section for section in body["sections"]}


@pytest.fixture(scope="module")
def briefing(client: TestClient) -> dict[str, Any]:
    response = client.get("/v1/briefing", params={"limit": 50}, headers=auth("bergveld", "merchant"))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_sections_in_order_without_the_support_loop_yet(briefing: dict[str, Any]) -> None:
    assert [section["kind"] for section in briefing["sections"]] == KINDS, "no `unanswered` until the support loop"
    assert briefing["date"] == utcnow().astimezone(SAST).date().isoformat()
    for section in briefing["sections"]:
        assert section["title"] and section["total"] >= len(section["items"])
        for item in section["items"]:
            assert item["text"] and item["prompt"], f"{section['kind']}: every line starts a conversation"
    found = sections(briefing)
    for kind in ("stockouts", "late_orders", "shipments", "credits"):
        assert found[kind]["items"], f"the demo data has {kind} to report"


def test_stockouts_are_the_reorder_plans_rows_that_run_out_within_lead_time(
    briefing: dict[str, Any], services: Services
) -> None:
    today = utcnow().astimezone(SAST).date()
    plan = services.planning.reorder_plan("bergveld")
    expected = [
        r
        for r in plan.rows
        if r.per_day > 0 and r.stockout_date and r.stockout_date <= today + dt.timedelta(days=r.lead_time_days)
    ]
    section = sections(briefing)["stockouts"]
    assert section["total"] == len(expected) > 0
    for item, row in zip(section["items"], expected, strict=False):
        assert (item["sku"], item["warehouse"]) == (row.sku, row.warehouse)
        figures = ("available", "per_day", "days_of_cover", "lead_time_days", "suggested_quantity")
        assert {name: item[name] for name in figures} == {name: getattr(row, name) for name in figures}
        assert item["stockout_date"] == row.stockout_date.isoformat()
        assert item["prompt"] == f"When will we run out of {row.sku} in {row.warehouse}?"
    skus = list(dict.fromkeys(item["sku"] for item in section["items"]))
    assert section["prompt"] == f"Plan reorders for these {len(skus)}"


def test_rebalance_is_the_rebalance_plan(briefing: dict[str, Any], services: Services) -> None:
    moves = services.planning.rebalance_plan("bergveld").moves
    section = sections(briefing)["rebalance"]
    assert section["total"] == len(moves)
    for item, move in zip(section["items"], moves, strict=False):
        assert {k: item[k] for k in move.model_dump()} == move.model_dump()
        assert (
            item["prompt"] == f"Transfer {move.quantity} units of {move.sku} from {move.source} to {move.destination}"
        )


def test_late_orders_are_paid_and_unshipped_past_the_dispatch_promise(
    briefing: dict[str, Any], services: Services
) -> None:
    now = utcnow()
    open_orders = [
        order
        for status in (OrderStatus.confirmed, OrderStatus.picking)
        for order in services.orders.list("bergveld", status=status, limit=1000)
    ]
    late = {o.number for o in open_orders if now - paid_at(o) > DISPATCH_PROMISE}
    section = sections(briefing)["late_orders"]
    assert section["total"] == len(late) > 0
    assert {item["number"] for item in section["items"]} <= late
    for item in section["items"]:
        order = services.orders.get("bergveld", item["number"])
        assert order.status in (OrderStatus.confirmed, OrderStatus.picking)
        assert dt.datetime.fromisoformat(item["due_by"]) == paid_at(order) + DISPATCH_PROMISE
        assert item["hours_late"] >= 0 and item["prompt"] == f"Show order {order.number}"
    paid = [item["paid_at"] for item in section["items"]]
    assert paid == sorted(paid), "the longest waiting first"


def test_shipments_due_this_week_or_late(briefing: dict[str, Any], services: Services) -> None:
    today = utcnow().astimezone(SAST).date()
    due = [
        s
        for s in services.shipments.list("bergveld")
        if s.status != ShipmentStatus.delivered and s.eta <= today + dt.timedelta(days=7)
    ]
    section = sections(briefing)["shipments"]
    assert section["total"] == len(due) > 0
    assert [item["id"] for item in section["items"]] == [s.id for s in sorted(due, key=lambda s: (s.eta, s.id))]
    for item in section["items"]:
        eta = dt.date.fromisoformat(item["eta"])
        assert item["days_to_eta"] == (eta - today).days and item["days_late"] == max(0, (today - eta).days)
        assert item["prompt"] == f"Where is shipment {item['id']} now?"


def test_credits_last_balance_over_the_last_weeks_average_use(client: TestClient, services: Services) -> None:
    org, key = make_org(services, balance=100.0)
    quiet = client.get("/v1/briefing", headers={"Authorization": f"Bearer {key}"})
    assert quiet.status_code == 200, quiet.text
    found = sections(quiet.json())
    assert all(not found[kind]["items"] for kind in KINDS[:-1]), "an organisation without data has nothing to say"
    (item,) = found["credits"]["items"]
    assert (item["balance"], item["days_left"]) == (100.0, None) and "none used" in item["text"]
    request_id = f"req-{uuid.uuid4().hex[:10]}"
    services.credits.reserve(org, request_id, 5_000)
    services.credits.settle(org, request_id, 3_500)  # 3.5 credits today: 0.5 a day over 7 days
    (item,) = sections(client.get("/v1/briefing", headers={"Authorization": f"Bearer {key}"}).json())["credits"][
        "items"
    ]
    assert (item["balance"], item["average_daily_use"], item["days_left"]) == (96.5, 0.5, 193.0)


def test_admins_read_it_too_support_does_not_and_limit_caps_the_items(client: TestClient) -> None:
    assert client.get("/v1/briefing", headers=auth("bergveld", "admin")).status_code == 200
    refused = client.get("/v1/briefing", headers=auth("bergveld", "support"))
    assert refused.status_code == 403 and "merchant or admin" in refused.json()["error"]["message"]
    short = client.get("/v1/briefing", params={"limit": 2}, headers=auth("bergveld", "merchant")).json()
    assert all(len(s["items"]) <= 2 for s in short["sections"])
    assert client.get("/v1/briefing", params={"limit": 0}, headers=auth()).status_code == 422


# --- The webhook ----------------------------------------------------------------------------------------------


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers `statuses` in turn, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.received = statuses, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers[SIGNATURE_HEADER], body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fluxori"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver([503])
    yield found
    found.server.shutdown()


def test_merchants_and_support_cannot_register_a_webhook(client: TestClient, receiver: Receiver) -> None:
    for role in ("merchant", "support"):
        refused = client.put("/v1/briefing/webhook", json={"url": receiver.url}, headers=auth("fynbos", role))
        assert refused.status_code == 403, refused.text
        assert "needs an API key with the role admin" in refused.json()["error"]["message"]
        assert client.get("/v1/briefing/webhook", headers=auth("fynbos", role)).status_code == 403


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "a webhook URL must start with https:// (not http://)"),
        ("https://127.0.0.1/hook", "resolves to 127.0.0.1, a loopback address"),
        ("https://localhost:8443/hook", "a loopback address"),
        ("https://10.20.30.40/hook", "resolves to 10.20.30.40, a private address"),
        ("https://192.168.0.10/hook", "a private address"),
        ("https://169.254.169.254/computeMetadata/v1/", "resolves to 169.254.169.254, a link-local address"),
        ("https://[fd12::1]/hook", "a private address"),
        ("https://[::ffff:127.0.0.1]/hook", "a loopback address"),
        ("https://0.0.0.0/hook", "a reserved address"),
    ],
)
def test_gcp_mode_refuses_plain_http_and_non_public_addresses(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setattr(services.settings, "mode", "gcp")
    refused = client.put("/v1/briefing/webhook", json={"url": url}, headers=auth("fynbos", "admin"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "invalid_input"
    assert message in refused.json()["error"]["message"]
    assert client.get("/v1/briefing/webhook", headers=auth("fynbos", "admin")).status_code == 404, "nothing stored"


def test_local_mode_allows_the_local_receiver_and_posts_the_real_briefing_signed(
    client: TestClient, services: Services, receiver: Receiver
) -> None:
    admin = auth("bergveld", "admin")
    registered = client.put("/v1/briefing/webhook", json={"url": receiver.url}, headers=admin)
    assert registered.status_code == 200, registered.text
    secret = registered.json()["secret"]
    try:
        shown = client.get("/v1/briefing/webhook", headers=admin).json()
        assert shown["url"] == receiver.url and "secret" not in json.dumps(shown)
        assert client.get("/v1/briefing/webhook", headers=auth("fynbos", "admin")).status_code == 404, (
            "another organisation sees no webhook of bergveld's"
        )

        day = utcnow().astimezone(SAST).date().isoformat()
        sender = Sender(services, RetryPolicy(attempts=3, first_pause_seconds=0.01), "test-sender")
        results = {r.org_id: r for r in sender.send_all()}
        assert set(results) == {"bergveld"}, "only organisations with a webhook are posted to"
        assert (results["bergveld"].outcome, results["bergveld"].attempts) == (Outcome.delivered, 2)
        assert len(receiver.received) == 2, "the first attempt got a 503 and was retried"
        for header, body in receiver.received:
            parts = dict(part.split("=", 1) for part in header.split(","))
            mac = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(parts["v1"], mac)
        posted = json.loads(receiver.received[-1][1])
        assert posted["text"].startswith(f"*Fluxori daily briefing: Berg & Veld Outdoor, {day}*")
        assert posted["blocks"] and [s["kind"] for s in posted["fluxori"]["sections"]] == KINDS
        api = client.get("/v1/briefing", headers=auth("bergveld", "merchant")).json()
        assert posted["fluxori"]["sections"] == api["sections"], "the same figures as GET /v1/briefing"

        again = Sender(services, RetryPolicy(attempts=3, first_pause_seconds=0.01), "second").send_all()
        assert again[0].outcome == Outcome.already_delivered and len(receiver.received) == 2
        deliveries = client.get("/v1/briefing/webhook", headers=admin).json()["deliveries"]
        assert deliveries[0]["day"] == day and deliveries[0]["status"] == "delivered"
        assert [a["status_code"] for a in deliveries[0]["attempts"]] == [503, 200]
    finally:
        assert client.delete("/v1/briefing/webhook", headers=admin).status_code == 204
    assert client.get("/v1/briefing/webhook", headers=admin).status_code == 404
    assert client.delete("/v1/briefing/webhook", headers=admin).status_code == 404


def test_another_organisations_webhook_is_out_of_reach(client: TestClient, services: Services) -> None:
    org, key = make_org(services, role=Role.admin)
    mine = {"Authorization": f"Bearer {key}"}
    assert client.put("/v1/briefing/webhook", json={"url": "http://127.0.0.1:9/a"}, headers=mine).status_code == 200
    other = client.put("/v1/briefing/webhook", json={"url": "http://127.0.0.1:9/b"}, headers=auth("fynbos", "admin"))
    assert other.status_code == 200
    try:
        assert client.get("/v1/briefing/webhook", headers=mine).json()["url"] == "http://127.0.0.1:9/a"
        repo = WebhookRepository(services.store)
        assert {o: c.url for o, c in repo.registered().items() if o in (org, "fynbos")} == {
            org: "http://127.0.0.1:9/a",
            "fynbos": "http://127.0.0.1:9/b",
        }
    finally:
        client.delete("/v1/briefing/webhook", headers=auth("fynbos", "admin"))
        client.delete("/v1/briefing/webhook", headers=mine)
