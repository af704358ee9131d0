"""Buying credits end to end, through the local PayFast sandbox over real HTTP: checkout, the sandbox's Pay,
its signed ITN to our notify URL, our server-to-server validate call back to it, the grant, the invoice and the
statement. The service runs under uvicorn on a free port (PayFast calls it, so a TestClient would not do), with
Firestore on Google's emulator; nothing is faked."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from app.api.app import create_app
from app.wiring import Services
from assistant.billing import payfast
from assistant.settings import Settings
from domain.credits import MC_PER_CREDIT
from domain.demo import seed
from domain.emulator import FirestoreEmulator, free_port
from domain.orgs import Role
from domain.store import Store, make_client
from tests.conftest import MINILM

ADMIN = {"Authorization": "Bearer fx_demo_bergveld_admin"}
FYNBOS_ADMIN = {"Authorization": "Bearer fx_demo_fynbos_admin"}
MERCHANT = {"Authorization": "Bearer fx_demo_bergveld_merchant"}


@dataclass
class Live:
    url: str
    services: Services
    http: httpx.Client

    def until(self, check: Callable[[], Any], seconds: float = 15.0) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if value := check():
                return value
            time.sleep(0.05)
        raise AssertionError("timed out waiting")

    def checkout(self, pack: str = "starter", headers: dict[str, str] = ADMIN, **extra: Any) -> dict[str, Any]:
        answer = self.http.post("/v1/billing/checkout", json={"pack": pack, **extra}, headers=headers)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def pay(self, checkout: dict[str, Any], action: str = "pay") -> httpx.Response:
        return self.http.post(checkout["process_url"], data=checkout["fields"] | {"action": action})

    def purchase(self, purchase_id: str, headers: dict[str, str] = ADMIN) -> dict[str, Any]:
        return dict(self.http.get(f"/v1/billing/purchases/{purchase_id}", headers=headers).json())

    def settled(self, purchase_id: str, headers: dict[str, str] = ADMIN) -> dict[str, Any]:
        return dict(self.until(lambda: (p := self.purchase(purchase_id, headers))["status"] != "pending" and p))

    def balance(self, headers: dict[str, str] = ADMIN) -> float:
        return float(self.http.get("/v1/credits", headers=headers).json()["balance"])

    def itn_of(self, m_payment_id: str) -> list[tuple[str, str]]:
        """The ITN the sandbox sent for a purchase, exactly as posted."""
        for delivery in self.http.get("/_sandbox/payfast/_deliveries").json():
            if delivery["payment"]["m_payment_id"] == m_payment_id:
                return [(key, value) for key, value in delivery["fields"]]
        raise AssertionError(f"no ITN was sent for {m_payment_id}")

    def notify(self, pairs: list[tuple[str, str]]) -> httpx.Response:
        body = "&".join(f"{k}={payfast.pf_encode(v)}" for k, v in pairs)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.http.post("/v1/billing/payfast/notify", content=body, headers=headers)


@pytest.fixture(scope="module")
def live(emulator: FirestoreEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    project = f"test-billing-{uuid.uuid4().hex[:10]}"
    store = Store.connect(make_client(project, emulator_host=emulator.address))
    seed(store)
    port = free_port()
    settings = Settings(
        project=project, data_dir=tmp_path_factory.mktemp("billing"), port=port, rate_limit_per_minute=100_000
    )
    services = Services(settings, store=store, minilm=MINILM)
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=30) as http:
        live = Live(url, services, http)
        live.until(lambda: server.started, 60)
        yield live
    server.should_exit = True
    thread.join(10)


def sign(pairs: list[tuple[str, str]], live: Live) -> list[tuple[str, str]]:
    """Re-sign an ITN after changing it, as someone who knows the passphrase (or PayFast itself) would."""
    unsigned = [(k, v) for k, v in pairs if k != "signature"]
    return [*unsigned, ("signature", payfast.itn_signature(unsigned, live.services.billing_settings.passphrase))]


def test_packs_price_vat_on_top_for_merchants_and_admins(live: Live) -> None:
    packs = live.http.get("/v1/billing/packs", headers=MERCHANT).json()
    starter = next(p for p in packs if p["id"] == "starter")
    assert starter == {"id": "starter", "credits": 1000, "price_cents": 10000, "vat_cents": 1500, "total_cents": 11500}
    assert live.http.get("/v1/billing/packs", headers=ADMIN).status_code == 200
    support = {"Authorization": "Bearer fx_demo_bergveld_support"}
    assert live.http.get("/v1/billing/packs", headers=support).status_code == 403
    assert live.http.post("/v1/billing/checkout", json={"pack": "starter"}, headers=MERCHANT).status_code == 403


def test_pay_grants_the_pack_once_and_issues_a_tax_invoice(live: Live) -> None:
    before = live.balance()
    checkout = live.checkout("growth")
    fields = checkout["fields"]
    assert checkout["process_url"] == f"{live.url}/_sandbox/payfast/eng/process"
    assert list(fields)[:6] == ["merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url", "m_payment_id"]
    assert fields["amount"] == "575.00" and fields["notify_url"] == f"{live.url}/v1/billing/payfast/notify"
    assert fields["signature"] == payfast.checkout_signature(
        {k: v for k, v in fields.items() if k != "signature"}, live.services.billing_settings.passphrase
    )
    page = live.http.post(checkout["process_url"], data=fields)  # what the browser sees first
    assert page.status_code == 200 and 'id="payfast-pay"' in page.text and "R575.00" in page.text
    paid = live.pay(checkout)
    assert paid.status_code == 303 and paid.headers["location"] == fields["return_url"]
    done = live.settled(checkout["purchase_id"])
    assert done["status"] == "complete" and done["credits"] == 5500 and done["invoice_number"].startswith("INV-")
    assert live.balance() == pytest.approx(before + 5500)
    # PayFast re-sends: the very same ITN again changes nothing.
    assert live.notify(live.itn_of(checkout["m_payment_id"])).status_code == 200
    assert live.balance() == pytest.approx(before + 5500)
    invoices = live.http.get("/v1/billing/invoices", headers=ADMIN).json()
    mine = next(i for i in invoices if i["number"] == done["invoice_number"])
    assert (mine["price_cents"], mine["vat_cents"], mine["total_cents"]) == (50000, 7500, 57500)
    pdf = live.http.get(mine["pdf_url"], headers=ADMIN)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    # Another organisation's invoice does not exist for its admin.
    assert live.http.get(mine["pdf_url"], headers=FYNBOS_ADMIN).status_code == 404
    assert live.http.get(f"/v1/billing/purchases/{checkout['purchase_id']}", headers=FYNBOS_ADMIN).status_code == 404
    status = live.http.get(f"/billing/return/{checkout['purchase_id']}/status").json()
    assert status == {"status": "complete", "credits": 5500.0, "reason": ""}


def test_cancel_and_fail_grant_nothing(live: Live) -> None:
    before = live.balance()
    for action, status in (("cancel", "cancelled"), ("fail", "failed")):
        checkout = live.checkout()
        answer = live.pay(checkout, action)
        assert answer.status_code == 303 and answer.headers["location"] == checkout["fields"]["cancel_url"]
        assert live.settled(checkout["purchase_id"])["status"] == status
    assert live.balance() == before


def test_fifty_concurrent_duplicate_itns_grant_once(live: Live) -> None:
    checkout = live.checkout("starter")
    live.pay(checkout)
    live.settled(checkout["purchase_id"])
    after_first = live.balance()
    itn = live.itn_of(checkout["m_payment_id"])
    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(lambda _: live.notify(itn).status_code, range(50)))
    assert codes == [200] * 50
    assert live.balance() == after_first
    grants = [
        e
        for e in live.services.credits.ledger("bergveld", limit=200)
        if e.details.get("purchase_id") == checkout["purchase_id"]
    ]
    assert len(grants) == 1


def test_a_pending_purchase_paid_by_fifty_concurrent_itns_is_granted_once(live: Live) -> None:
    """The race that matters: the first ITN and PayFast's re-sends arrive together, before any was recorded."""
    checkout = live.checkout("starter")
    before = live.balance()
    # The sandbox posts its ITN as soon as Pay is pressed; 50 copies of it race that delivery.
    live.pay(checkout)
    itn = live.until(lambda: _itn_or_none(live, checkout["m_payment_id"]))
    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(lambda _: live.notify(itn).status_code, range(50)))
    assert set(codes) == {200}
    assert live.settled(checkout["purchase_id"])["status"] == "complete"
    assert live.balance() == pytest.approx(before + 1000)


def _itn_or_none(live: Live, m_payment_id: str) -> list[tuple[str, str]] | None:
    try:
        return live.itn_of(m_payment_id)
    except AssertionError:
        return None


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        (lambda pairs, live: [(k, "0" * 32 if k == "signature" else v) for k, v in pairs], 400, "signature"),
        (
            lambda pairs, live: sign([(k, "10000999" if k == "merchant_id" else v) for k, v in pairs], live),
            400,
            "merchant id",
        ),
        (lambda pairs, live: sign([(k, "1.15" if k == "amount_gross" else v) for k, v in pairs], live), 400, "differs"),
        (
            lambda pairs, live: sign([(k, "no-such-payment" if k == "m_payment_id" else v) for k, v in pairs], live),
            404,
            "no purchase",
        ),
        # Correctly signed, but not an ITN PayFast sent: its validate endpoint does not answer VALID.
        (lambda pairs, live: sign([(k, "77777" if k == "pf_payment_id" else v) for k, v in pairs], live), 400, "VALID"),
    ],
    ids=["tampered-signature", "wrong-merchant", "amount-differs", "unknown-payment", "not-validated"],
)
def test_a_bad_itn_grants_nothing_and_says_why(
    live: Live, change: Callable[[list[tuple[str, str]], Live], list[tuple[str, str]]], status: int, reason: str
) -> None:
    checkout = live.checkout("starter")
    before = live.balance()
    genuine = _genuine_itn_for(live, checkout)
    answer = live.notify(change(genuine, live))
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["error"]["message"]
    assert live.balance() == before
    shown = live.purchase(checkout["purchase_id"])
    if reason in ("differs", "VALID"):  # a purchase of ours: it shows why
        assert shown["status"] == "rejected" and reason in shown["reason"]
    else:
        assert shown["status"] == "pending"


def _genuine_itn_for(live: Live, checkout: dict[str, Any]) -> list[tuple[str, str]]:
    """An ITN exactly as PayFast would send it for this checkout, signed, but not posted (nothing is paid)."""
    fields = checkout["fields"]
    pairs = [
        ("m_payment_id", fields["m_payment_id"]),
        ("pf_payment_id", str(uuid.uuid4().int % 10**7)),
        ("payment_status", "COMPLETE"),
        ("item_name", fields["item_name"]),
        ("item_description", fields.get("item_description", "")),
        ("amount_gross", fields["amount"]),
        ("amount_fee", "-4.03"),
        ("amount_net", "110.97"),
        ("name_first", ""),
        ("email_address", ""),
        ("merchant_id", fields["merchant_id"]),
    ]
    return sign(pairs, live)


def test_an_itn_from_an_address_not_on_the_list_is_refused(live: Live) -> None:
    from fastapi.testclient import TestClient  # its client address is "testclient": not PayFast's

    checkout = live.checkout("starter")
    with TestClient(create_app(live.services)) as other:
        body = "&".join(f"{k}={payfast.pf_encode(v)}" for k, v in _genuine_itn_for(live, checkout))
        answer = other.post(
            "/v1/billing/payfast/notify", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert answer.status_code == 403 and "not from PayFast" in answer.json()["error"]["message"]
    assert live.purchase(checkout["purchase_id"])["status"] == "pending"


def test_bad_requests_get_clear_4xx(live: Live) -> None:
    unknown = live.http.post("/v1/billing/checkout", json={"pack": "huge"}, headers=ADMIN)
    assert unknown.status_code == 422 and "starter" in unknown.json()["error"]["message"]
    future = live.http.get("/v1/billing/statements/2999-01", headers=ADMIN)
    assert future.status_code == 422 and "has not started" in future.json()["error"]["message"]
    malformed = live.http.get("/v1/billing/statements/2026-13", headers=ADMIN)
    assert malformed.status_code == 422
    assert live.http.get("/v1/billing/invoices/INV-999999.pdf", headers=ADMIN).status_code == 404


@pytest.mark.parametrize("org", ["bergveld", "fynbos"])
def test_the_statement_of_each_demo_organisation_closes_at_its_ledger_balance(live: Live, org: str) -> None:
    from assistant.billing.statements import current_month

    headers = ADMIN if org == "bergveld" else FYNBOS_ADMIN
    if org == "fynbos":  # a purchase and a question in the month, so every line has something
        checkout = live.checkout("starter", headers=headers)
        live.pay(checkout)
        live.settled(checkout["purchase_id"], headers)
        chat = live.http.post(
            "/v1/chat",
            json={"message": "how do I connect Takealot?"},
            headers={"Authorization": "Bearer fx_demo_fynbos_merchant"},
        )
        assert chat.status_code == 200, chat.text
    month = current_month()
    statement = live.http.get(f"/v1/billing/statements/{month}", headers=headers).json()
    account = live.services.credits.account(org)
    assert statement["reconciled"] is True
    assert statement["closing_mc"] == statement["ledger_closing_mc"] == account.balance_mc
    assert statement["closing_mc"] == (
        statement["opening_mc"]
        + statement["purchases_mc"]
        + statement["grants_mc"]
        - statement["usage_mc"]
        + statement["held_at_start_mc"]
        - statement["held_at_end_mc"]
    )
    assert live.services.credits.ledger_total(org) == account.balance_mc
    if org == "fynbos":
        assert statement["purchases_mc"] >= 1000 * MC_PER_CREDIT and statement["questions"] >= 1
        assert statement["usage_by_model"][0]["name"] == "fluxori-offline-1"
    csv_text = live.http.get(f"/v1/billing/statements/{month}?format=csv", headers=headers)
    assert csv_text.status_code == 200 and csv_text.headers["content-type"].startswith("text/csv")
    pdf = live.http.get(f"/v1/billing/statements/{month}?format=pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"


def test_auto_topup_charges_the_saved_card_once_per_crossing(live: Live) -> None:
    """Concurrent settlements under the threshold make one charge; the charge's ITN grants it like a purchase;
    once above the threshold again, the next crossing (here: a real chat turn's settlement) charges again."""
    from assistant.billing.autotopup import after_settlement

    services = live.services
    org = f"org-{uuid.uuid4().hex[:8]}"
    services.orgs.create(org, "Auto Top-up Traders")
    services.credits.open_account(org)
    services.credits.grant(org, 100 * MC_PER_CREDIT, f"opening-{org}")
    admin = {"Authorization": f"Bearer {services.api_keys.create(org, Role.admin)}"}
    merchant = {"Authorization": f"Bearer {services.api_keys.create(org, Role.merchant)}"}
    no_card = live.http.put(
        "/v1/billing/settings", json={"auto_topup": {"threshold_credits": 2000, "pack": "starter"}}, headers=admin
    )
    assert no_card.status_code == 200 and no_card.json()["card_saved"] is False
    assert after_settlement(services, org, 100 * MC_PER_CREDIT) is None  # no saved card: nothing to charge

    first = live.checkout("starter", headers=admin, save_card=True)
    live.pay(first)
    live.settled(first["purchase_id"], admin)
    assert live.http.get("/v1/billing/settings", headers=admin).json()["card_saved"] is True
    balance = services.credits.account(org).balance_mc  # 1,100 credits: under the threshold of 2,000
    with ThreadPoolExecutor(20) as pool:
        charged = [p for p in pool.map(lambda _: after_settlement(services, org, balance), range(20)) if p]
    assert len(charged) == 1 and charged[0].kind == "auto_topup"
    assert live.settled(charged[0].id, admin)["status"] == "complete"
    assert services.credits.account(org).balance_mc == balance + 1000 * MC_PER_CREDIT
    assert after_settlement(services, org, balance) is None  # the same crossing: no second charge

    # Above the threshold again (2,100 credits): set it just under the balance, and let a chat turn cross it.
    live.http.put(
        "/v1/billing/settings", json={"auto_topup": {"threshold_credits": 2100, "pack": "starter"}}, headers=admin
    )
    answer = live.http.post("/v1/chat", json={"message": "how do I connect Takealot?"}, headers=merchant)
    assert answer.status_code == 200, answer.text
    topups = live.until(
        lambda: (
            [p for p in services.purchases.list(org) if p.kind == "auto_topup" and p.status == "complete"]
            if len([p for p in services.purchases.list(org) if p.kind == "auto_topup" and p.status == "complete"]) == 2
            else None
        )
    )
    assert len(topups) == 2
    statement = live.http.get(f"/v1/billing/statements/{_month()}", headers=admin).json()
    assert statement["reconciled"] and len(statement["purchases"]) == 3


def _month() -> str:
    from assistant.billing.statements import current_month

    return current_month()
