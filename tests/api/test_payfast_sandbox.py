"""The local PayFast sandbox speaks PayFast's protocol: the process page, refusals, signed ITNs retried until a 200,
the validate endpoint and ad hoc token charges.

The sandbox router runs on a bare FastAPI app served by uvicorn on loopback, next to a receiver route standing in
for the service's notify URL: `/receiver/{box}?fail=N` records every ITN posted to it and answers 500 to the first
N, and with `validate=1` it asks the sandbox's validate endpoint while it handles the ITN (as the service does).
Each test uses boxes of its own, so the module's one server is shared without the tests seeing each other.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from app.payfast_sandbox import sandbox_router
from app.payfast_sandbox.core import plain
from assistant.billing.payfast import (
    API_VERSION,
    TOKENISATION,
    api_signature,
    itn_param_string,
    signature_matches,
    signed_checkout,
)
from assistant.billing.settings import SANDBOX_PREFIX, BillingSettings
from benchmarks.fake_gemini import serve_in_thread

PROCESS = f"{SANDBOX_PREFIX}/eng/process"
VALIDATE = f"{SANDBOX_PREFIX}/eng/query/validate"
DELIVERIES = f"{SANDBOX_PREFIX}/_deliveries"
MAX_ATTEMPTS = 5
FIRST_RETRY = 0.05
ITN_KEYS = [
    "m_payment_id",
    "pf_payment_id",
    "payment_status",
    "item_name",
    "item_description",
    "amount_gross",
    "amount_fee",
    "amount_net",
    *(f"custom_str{i}" for i in range(1, 6)),
    *(f"custom_int{i}" for i in range(1, 6)),
    "name_first",
    "name_last",
    "email_address",
    "merchant_id",
]
Pairs = list[tuple[str, str]]
T = TypeVar("T")


def until(check: Callable[[], T | None], seconds: float = 10.0) -> T:
    """Poll `check` until it gives something, with a deadline instead of a fixed sleep."""
    deadline = time.monotonic() + seconds
    while (found := check()) is None:
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)
    return found


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: dict[str, list[Pairs]] = defaultdict(list)
        self.validations: dict[str, list[str]] = defaultdict(list)

    def add(self, box: str, pairs: Pairs) -> int:
        with self.lock:
            self.posts[box].append(pairs)
            return len(self.posts[box])

    def itns(self, box: str, count: int = 1) -> list[Pairs] | None:
        with self.lock:
            return list(self.posts[box]) if len(self.posts[box]) >= count else None


class Sandbox:
    def __init__(self, url: str, settings: BillingSettings, receiver: Receiver) -> None:
        self.url = url
        self.settings = settings
        self.receiver = receiver
        self.http = httpx.Client(base_url=url, timeout=10)
        self.merchant_id = plain(settings.payfast_merchant_id)  # a SecretStr or not, the sandbox reads both

    def box(self, fail: int = 0, validate: bool = False) -> tuple[str, str]:
        """A fresh receiver box: (its name, the notify_url that posts to it)."""
        name = uuid.uuid4().hex[:12]
        return name, f"{self.url}/receiver/{name}?fail={fail}" + ("&validate=1" if validate else "")

    def checkout(self, notify_url: str, /, **changes: str) -> dict[str, str]:
        fields = {
            "merchant_id": self.merchant_id,
            "merchant_key": plain(self.settings.payfast_merchant_key),
            "return_url": "https://shop.example/credits?paid=1",
            "cancel_url": "https://shop.example/credits?cancelled=1",
            "notify_url": notify_url,
            "name_first": "Thandi",
            "m_payment_id": f"pur-{uuid.uuid4().hex[:8]}",
            "amount": "1150.00",
            "item_name": "Growth pack & bonus",
            "item_description": "5,500 AI credits",
            "custom_str1": "bergveld",
        } | changes
        return signed_checkout({k: v for k, v in fields.items() if v}, self.settings.passphrase)

    def pay(self, fields: dict[str, str], action: str = "pay") -> httpx.Response:
        return self.http.post(PROCESS, data=fields | {"action": action})

    def one_itn(self, box: str) -> dict[str, str]:
        (pairs,) = until(lambda: self.receiver.itns(box))
        assert signature_matches(pairs, self.settings.passphrase)
        return dict(pairs)

    def paid(self, m_payment_id: str) -> list[dict[str, Any]]:
        """The sandbox's record of the payments of `m_payment_id` and their ITN deliveries."""
        return [d for d in self.http.get(DELIVERIES).json() if d["payment"]["m_payment_id"] == m_payment_id]

    def delivery(self, pf_payment_id: str) -> dict[str, Any]:
        """A payment's finished ITN delivery (delivered or given up)."""

        def find() -> dict[str, Any] | None:
            found = [d for d in self.http.get(DELIVERIES).json() if d["payment"]["pf_payment_id"] == pf_payment_id]
            return found[0] if found and found[0]["state"] != "pending" else None

        return until(find)

    def adhoc(self, token: str, body: dict[str, str], merchant_id: str | None = None, **kw: Any) -> httpx.Response:
        headers = {
            "merchant-id": merchant_id or self.merchant_id,
            "version": API_VERSION,
            "timestamp": datetime.now(UTC).replace(microsecond=0).isoformat(),
        }
        headers["signature"] = api_signature(headers | body, self.settings.passphrase)
        url = f"{SANDBOX_PREFIX}/subscriptions/{token}/adhoc"
        return self.http.post(url, params={"testing": "true"}, headers=headers | kw.pop("headers", {}), **kw)


def build_app(settings: BillingSettings, receiver: Receiver) -> FastAPI:
    app = FastAPI()
    app.include_router(sandbox_router(settings, first_retry_seconds=FIRST_RETRY, max_attempts=MAX_ATTEMPTS))

    @app.post("/receiver/{box}")
    async def receive(box: str, request: Request, fail: int = 0, validate: int = 0) -> Response:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
        count = receiver.add(box, pairs)
        if validate:  # the service's confirmation, made while handling the ITN in the same process
            async with httpx.AsyncClient(base_url=str(request.base_url), timeout=5) as client:
                answer = await client.post(VALIDATE, content=itn_param_string(pairs))
            receiver.validations[box].append(answer.text)
        return Response(status_code=500 if count <= fail else 200)

    return app


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    settings = BillingSettings(_env_file=None)
    receiver = Receiver()
    server, url = serve_in_thread(build_app(settings, receiver))
    client = Sandbox(url, settings, receiver)
    try:
        yield client
    finally:
        client.http.close()
        server.should_exit = True


class Inputs(HTMLParser):
    """The hidden inputs and the buttons of the process page."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: Pairs = []
        self.buttons: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden":
            self.hidden.append((values["name"] or "", values["value"] or ""))
        elif tag == "button":
            self.buttons.append(values)


def test_the_process_page_shows_the_item_the_amount_and_pay_and_cancel(sandbox: Sandbox) -> None:
    box, notify = sandbox.box()
    fields = sandbox.checkout(notify)
    page = sandbox.http.post(PROCESS, data=fields)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
    assert "R1,150.00" in page.text and "Growth pack &amp; bonus" in page.text and "5,500 AI credits" in page.text
    inputs = Inputs()
    inputs.feed(page.text)
    assert dict(inputs.hidden) == fields  # every field rides along, the signature too
    assert [(b["id"], b["name"], b["value"]) for b in inputs.buttons] == [
        ("payfast-pay", "action", "pay"),
        ("payfast-cancel", "action", "cancel"),
    ]
    assert sandbox.http.get(PROCESS, params=fields).status_code == 200  # PayFast takes a GET too
    # Pressing Pay posts the hidden fields plus the button's action.
    done = sandbox.http.post(PROCESS, data=dict(inputs.hidden) | {"action": "pay"})
    assert done.status_code == 303 and done.headers["location"] == fields["return_url"]
    assert sandbox.one_itn(box)["payment_status"] == "COMPLETE"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount": "9.99"}, "signature does not match"),  # the buyer edited the form after it was signed
        ({"signature": "0" * 32}, "signature does not match"),
        ({"merchant_key": "0000000000000"}, "merchant_key does not belong to this merchant"),
        ({"merchant_id": "10000999"}, "merchant_id is not this merchant"),
        ({"signature": ""}, "signature is missing"),
        ({"colour": "blue"}, "PayFast does not know the field(s) colour"),
    ],
)
def test_a_tampered_or_foreign_checkout_gets_a_400_that_says_why(
    sandbox: Sandbox, change: dict[str, str], reason: str
) -> None:
    _, notify = sandbox.box()
    fields = sandbox.checkout(notify) | change
    for action in ("", "pay"):
        refused = sandbox.http.post(PROCESS, data=fields | ({"action": action} if action else {}))
        assert refused.status_code == 400 and reason in refused.text, refused.text
    assert sandbox.paid(fields["m_payment_id"]) == []  # nothing was paid, so nothing is sent


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount": "11.505"}, "is not an amount"),
        ({"amount": "4.99"}, "at least R5.00"),
        ({"notify_url": ""}, "notify_url is missing"),
        ({"return_url": "javascript:alert(1)"}, "return_url is not an http(s) URL"),
    ],
)
def test_a_correctly_signed_but_invalid_checkout_gets_a_400(
    sandbox: Sandbox, change: dict[str, str], reason: str
) -> None:
    _, notify = sandbox.box()
    refused = sandbox.pay(sandbox.checkout(notify, **change))
    assert refused.status_code == 400 and reason in refused.text, refused.text
    assert sandbox.pay(sandbox.checkout(notify), action="refund").status_code == 400
    assert sandbox.http.get(PROCESS, params=sandbox.checkout(notify) | {"action": "pay"}).status_code == 400


def test_pay_redirects_and_posts_a_signed_itn_in_payfasts_order(sandbox: Sandbox) -> None:
    box, notify = sandbox.box()
    fields = sandbox.checkout(notify)
    response = sandbox.pay(fields)  # straight from the checkout, no page first
    assert response.status_code == 303 and response.headers["location"] == fields["return_url"]
    (pairs,) = until(lambda: sandbox.receiver.itns(box))
    assert [key for key, _ in pairs] == [*ITN_KEYS, "signature"]
    assert signature_matches(pairs, sandbox.settings.passphrase)
    assert not signature_matches(pairs, "another passphrase")
    itn = dict(pairs)
    assert itn["payment_status"] == "COMPLETE" and itn["m_payment_id"] == fields["m_payment_id"]
    assert (itn["amount_gross"], itn["amount_fee"], itn["amount_net"]) == ("1150.00", "-42.25", "1107.75")
    assert itn["merchant_id"] == sandbox.merchant_id and itn["pf_payment_id"].isdigit()
    assert (itn["item_name"], itn["custom_str1"], itn["name_first"], itn["custom_int1"]) == (
        "Growth pack & bonus",
        "bergveld",
        "Thandi",
        "",
    )
    delivery = sandbox.delivery(itn["pf_payment_id"])
    assert delivery["state"] == "delivered" and [a["status_code"] for a in delivery["attempts"]] == [200]
    # A second payment is a new one with an id of its own.
    sandbox.pay(sandbox.checkout(notify))
    second = until(lambda: sandbox.receiver.itns(box, 2))[1]
    assert int(dict(second)["pf_payment_id"]) > int(itn["pf_payment_id"])


@pytest.mark.parametrize(("action", "status"), [("cancel", "CANCELLED"), ("fail", "FAILED")])
def test_cancel_and_fail_send_the_buyer_to_cancel_url_and_say_so_in_the_itn(
    sandbox: Sandbox, action: str, status: str
) -> None:
    box, notify = sandbox.box()
    fields = sandbox.checkout(notify)
    response = sandbox.pay(fields, action=action)
    assert response.status_code == 303 and response.headers["location"] == fields["cancel_url"]
    itn = sandbox.one_itn(box)
    assert (itn["payment_status"], itn["amount_gross"], itn["amount_fee"]) == (status, "1150.00", "0.00")
    assert "token" not in itn


def test_without_a_return_url_the_buyer_sees_a_finished_page(sandbox: Sandbox) -> None:
    box, notify = sandbox.box()
    response = sandbox.pay(sandbox.checkout(notify, cancel_url=""), action="fail")
    assert response.status_code == 200 and "Payment failed" in response.text
    assert sandbox.one_itn(box)["payment_status"] == "FAILED"


def test_the_itn_is_retried_until_it_gets_a_200_and_every_attempt_is_recorded(sandbox: Sandbox) -> None:
    box, notify = sandbox.box(fail=3)
    sandbox.pay(sandbox.checkout(notify))
    posts = until(lambda: sandbox.receiver.itns(box, 4))
    assert all(post == posts[0] for post in posts)  # the same ITN each time
    delivery = sandbox.delivery(dict(posts[0])["pf_payment_id"])
    assert delivery["state"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500, 200]
    assert {a["url"] for a in delivery["attempts"]} == {notify}
    times = [datetime.fromisoformat(a["at"]).timestamp() for a in delivery["attempts"]]
    pauses = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(pause >= FIRST_RETRY * 2**i - 0.002 for i, pause in enumerate(pauses)), pauses  # doubling (ms clock)


def test_an_unreachable_notify_url_is_given_up_after_the_last_attempt(sandbox: Sandbox) -> None:
    fields = sandbox.checkout("http://127.0.0.1:9/notify")  # the discard port: nothing listens there
    sandbox.pay(fields)
    found = until(lambda: next((d for d in sandbox.paid(fields["m_payment_id"]) if d["state"] != "pending"), None))
    assert found["state"] == "gave_up" and len(found["attempts"]) == MAX_ATTEMPTS
    assert all(a["status_code"] is None and a["error"] for a in found["attempts"])


def test_validate_confirms_only_the_itns_the_sandbox_sent(sandbox: Sandbox) -> None:
    box, notify = sandbox.box(validate=True)
    sandbox.pay(sandbox.checkout(notify))
    (pairs,) = until(lambda: sandbox.receiver.itns(box))
    assert until(lambda: sandbox.receiver.validations[box] or None) == ["VALID"]  # asked from inside the ITN
    sent = itn_param_string(pairs)

    def answer(body: str) -> tuple[int, str, str]:
        response = sandbox.http.post(VALIDATE, content=body)
        return response.status_code, response.headers["content-type"].split(";")[0], response.text

    assert answer(sent) == (200, "text/plain", "VALID")
    assert answer(sent) == (200, "text/plain", "VALID")  # PayFast re-sends, and each one may be checked
    raised = itn_param_string([(k, "9999.00" if k == "amount_gross" else v) for k, v in pairs])
    assert answer(raised)[2] == "INVALID"
    assert answer(sent + "&signature=" + dict(pairs)["signature"])[2] == "INVALID"
    assert answer("")[2] == "INVALID"


def test_a_tokenised_checkout_gives_a_token_that_ad_hoc_charges_use(sandbox: Sandbox) -> None:
    box, notify = sandbox.box()
    sandbox.pay(sandbox.checkout(notify, subscription_type=TOKENISATION))
    (first,) = until(lambda: sandbox.receiver.itns(box))
    assert [key for key, _ in first] == [*ITN_KEYS, "token", "signature"]
    assert signature_matches(first, sandbox.settings.passphrase)
    token = dict(first)["token"]
    assert uuid.UUID(token).version == 4

    # The service's gateway posts form fields; PayFast's documentation shows JSON: both are taken.
    form = {"amount": "25000", "item_name": "Auto top-up: starter", "m_payment_id": "auto-1"}
    charged = sandbox.adhoc(token, form, data=form)
    assert charged.status_code == 200, charged.text
    body = charged.json()
    assert (body["code"], body["status"], body["data"]["response"]) == (200, "success", True)
    as_json = {"amount": 11500, "item_name": "Auto top-up: growth", "m_payment_id": "auto-2"}
    signed_as = {key: str(value) for key, value in as_json.items()}
    assert sandbox.adhoc(token, signed_as, json=as_json).status_code == 200

    itns = [dict(pairs) for pairs in until(lambda: sandbox.receiver.itns(box, 3))]
    assert all(signature_matches(list(itn.items()), sandbox.settings.passphrase) for itn in itns)
    by_id = {itn["m_payment_id"]: itn for itn in itns[1:]}
    assert (by_id["auto-1"]["amount_gross"], by_id["auto-1"]["amount_fee"]) == ("250.00", "-10.75")
    assert by_id["auto-2"]["amount_gross"] == "115.00" and by_id["auto-2"]["item_name"] == "Auto top-up: growth"
    assert {itn["token"] for itn in by_id.values()} == {token}
    assert {itn["payment_status"] for itn in by_id.values()} == {"COMPLETE"}
    assert by_id["auto-1"]["pf_payment_id"] == body["data"]["pf_payment_id"]


def test_a_cancelled_tokenised_checkout_gives_no_token(sandbox: Sandbox) -> None:
    box, notify = sandbox.box()
    sandbox.pay(sandbox.checkout(notify, subscription_type=TOKENISATION), action="cancel")
    assert "token" not in sandbox.one_itn(box)


def test_ad_hoc_charges_are_refused_without_the_merchants_signature_or_a_known_token(sandbox: Sandbox) -> None:
    box, notify = sandbox.box()
    sandbox.pay(sandbox.checkout(notify, subscription_type=TOKENISATION))
    token = sandbox.one_itn(box)["token"]
    form = {"amount": "25000", "item_name": "Auto top-up", "m_payment_id": "auto-x"}

    bad_signature = sandbox.adhoc(token, form, data=form | {"amount": "99999"})  # signed for another amount
    assert bad_signature.status_code == 401
    assert bad_signature.json()["status"] == "failed" and bad_signature.json()["data"]["message"] is False
    assert sandbox.adhoc(token, form, merchant_id="10000999", data=form).status_code == 401
    assert sandbox.adhoc(token, form, data=form, headers={"version": "v2"}).status_code == 400

    unknown = sandbox.adhoc(str(uuid.uuid4()), form, data=form)
    assert unknown.status_code == 404
    body = unknown.json()
    assert (body["code"], body["status"], body["data"]["message"]) == (404, "failed", False)
    assert re.search("not found", body["data"]["response"], re.IGNORECASE)

    cents_as_rand = form | {"amount": "250.00"}
    assert sandbox.adhoc(token, cents_as_rand, data=cents_as_rand).status_code == 400
    assert sandbox.paid("auto-x") == []  # a payment is recorded before the API answers: none was


def test_an_injected_client_delivers_the_itn_and_is_closed_afterwards() -> None:
    settings = BillingSettings(_env_file=None)
    posted: list[httpx.Request] = []
    clients: list[httpx.Client] = []

    def notify(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(200)

    def factory() -> httpx.Client:
        clients.append(httpx.Client(transport=httpx.MockTransport(notify)))
        return clients[-1]

    app = FastAPI()
    app.include_router(sandbox_router(settings, factory))
    fields = Sandbox("http://sandbox.test", settings, Receiver()).checkout("https://shop.example/notify")
    with TestClient(app) as client:
        assert client.post(PROCESS, data=fields | {"action": "pay"}, follow_redirects=False).status_code == 303
    (request,) = until(lambda: posted or None)
    assert str(request.url) == "https://shop.example/notify"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert signature_matches(parse_qsl(request.content.decode(), keep_blank_values=True), settings.passphrase)
    until(lambda: clients[0].is_closed or None)
