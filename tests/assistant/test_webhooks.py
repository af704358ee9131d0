"""The briefing's webhook: where it may point (no SSRF), the signature, and the delivery to a real local receiver
(an http.server thread) with its retries, its record of every attempt and one delivery per organisation per day,
also with two senders at once. Firestore is the emulator; the briefing itself is a fixed one here (its sections
on the demo data are tests/api/test_briefing.py's)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from app.wiring import Services
from assistant.application import webhook_delivery, webhooks
from assistant.application.briefing import Briefing, BriefingServices, CreditsItem, CreditsSection, credits
from assistant.application.policy import Forbidden
from assistant.application.webhook_delivery import Outcome, RetryPolicy, Sender, message
from assistant.application.webhook_signing import SIGNATURE_HEADER, signature, verify
from assistant.application.webhook_urls import Resolver, UnsafeWebhook, check_url
from assistant.settings import Settings
from domain.audit import AuditAction
from domain.orgs import Principal, Role
from domain.store import Store
from domain.webhooks import CLAIM_LEASE, DeliveryAttempt, DeliveryStatus, WebhookConfig, WebhookRepository

PUBLIC = "93.184.216.34"
AUDITED = (AuditAction.webhook_registered, AuditAction.webhook_removed)


def resolving_to(*addresses: str) -> Resolver:
    return lambda host, port: list(addresses)


# --- Where a webhook may point ----------------------------------------------------------------------------------


def test_gcp_mode_wants_https() -> None:
    with pytest.raises(UnsafeWebhook, match=r"must start with https:// \(not http://\)"):
        check_url("http://hooks.example.com/x", "gcp", resolving_to(PUBLIC))
    assert check_url("https://hooks.example.com/x", "gcp", resolving_to(PUBLIC)).addresses == (PUBLIC,)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # the metadata server
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("0.0.0.0", "reserved"),
        ("192.0.2.1", "reserved (documentation)"),
        ("240.0.0.1", "reserved"),
        ("224.0.0.1", "multicast"),
        ("::1", "loopback"),
        ("::", "reserved"),
        ("fd00::1", "private"),
        ("fe80::1%eth0", "link-local"),
        ("::ffff:10.0.0.1", "private"),  # IPv4 inside IPv6
        ("::ffff:127.0.0.1", "loopback"),
        ("2002:a00:1::", "reserved (6to4)"),
        ("64:ff9b::a00:1", "reserved (NAT64)"),
        ("2001:db8::1", "reserved (documentation)"),
        ("ff02::1", "multicast"),
    ],
)
def test_gcp_mode_refuses_hosts_that_resolve_to_non_public_addresses(address: str, kind: str) -> None:
    with pytest.raises(UnsafeWebhook) as refused:
        check_url("https://hooks.example.com/services/x", "gcp", resolving_to(address))
    assert refused.value.message == (
        f"the webhook host hooks.example.com resolves to {address}, a {kind} address: the briefing is only "
        "posted to public addresses"
    )
    assert not refused.value.transient


def test_every_resolved_address_is_checked() -> None:
    with pytest.raises(UnsafeWebhook, match=r"resolves to 10\.0\.0\.7, a private address"):
        check_url("https://rebind.example.com/", "gcp", resolving_to(PUBLIC, "2606:4700::1111", "10.0.0.7"))


def test_literal_and_encoded_addresses_are_resolved_and_checked() -> None:
    # No resolver stub: the real one turns each of these into 127.0.0.1 or 169.254.169.254.
    for url in ("https://127.0.0.1/", "https://2130706433/", "https://0x7f000001/", "https://[::ffff:7f00:1]/"):
        with pytest.raises(UnsafeWebhook, match="loopback"):
            check_url(url, "gcp")
    with pytest.raises(UnsafeWebhook, match="link-local"):
        check_url("https://169.254.169.254/computeMetadata/v1/", "gcp")
    with pytest.raises(UnsafeWebhook, match="loopback"):
        check_url("https://localhost:8443/hook", "gcp")


def test_public_addresses_are_accepted() -> None:
    target = check_url("https://hooks.slack.com/services/T0/B0/x", "gcp", resolving_to(PUBLIC, "2606:4700::1111"))
    assert target.addresses == (PUBLIC, "2606:4700::1111")


def test_local_mode_allows_http_to_this_machine_only() -> None:
    assert check_url("http://127.0.0.1:9999/hook", "local").addresses == ("127.0.0.1",)
    assert check_url("http://hooks.example.com/", "local", resolving_to(PUBLIC)).addresses == (PUBLIC,)
    with pytest.raises(UnsafeWebhook, match=r"10\.0\.0\.1, a private address: .* and, in local mode, this machine"):
        check_url("http://lan.example.com/", "local", resolving_to("10.0.0.1"))
    with pytest.raises(UnsafeWebhook, match=r"https:// or, in local mode, http:// \(not ftp://\)"):
        check_url("ftp://127.0.0.1/", "local")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "1 to 2048 characters"),
        ("https://" + "a" * 2050 + ".com/", "1 to 2048 characters"),
        ("hooks.example.com/x", "must start with https://"),
        ("https:///path", "needs a host name"),
        ("https://user:pass@hooks.example.com/", "leave the user name and password out"),
        ("https://hooks.example.com/#frag", "no #fragment"),
    ],
)
def test_malformed_urls_say_what_to_fix(url: str, message: str) -> None:
    with pytest.raises(UnsafeWebhook, match=message):
        check_url(url, "gcp", resolving_to(PUBLIC))


def test_a_host_that_does_not_resolve_is_refused_as_transient() -> None:
    with pytest.raises(UnsafeWebhook, match="does not resolve") as refused:
        check_url("https://nowhere.invalid/", "gcp")
    assert refused.value.transient


def test_the_post_is_pinned_to_the_checked_address() -> None:
    url, headers, extensions = check_url("https://hooks.example.com/s/x?a=1", "gcp", resolving_to(PUBLIC)).pinned()
    assert str(url) == f"https://{PUBLIC}/s/x?a=1"
    assert headers == {"Host": "hooks.example.com"} and extensions == {"sni_hostname": "hooks.example.com"}
    url, headers, _ = check_url("https://hooks.example.com:8443/h", "gcp", resolving_to("2606:4700::1111")).pinned()
    assert str(url) == "https://[2606:4700::1111]:8443/h" and headers == {"Host": "hooks.example.com:8443"}
    url, headers, extensions = check_url("https://[2606:4700::1111]/h", "gcp").pinned()
    assert headers == {"Host": "[2606:4700::1111]"} and extensions == {}, "no server name for an address"
    url, headers, extensions = check_url("http://127.0.0.1:9000/h", "local").pinned()
    assert str(url) == "http://127.0.0.1:9000/h" and extensions == {}


# --- The signature ----------------------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    secret, body, t = "whsec_test", b'{"text":"hi"}', 1_700_000_000
    expected = hmac.new(b"whsec_test", b'1700000000.{"text":"hi"}', hashlib.sha256).hexdigest()
    header = signature(secret, t, body)
    assert header == f"t=1700000000,v1={expected}"
    assert verify(secret, header, body, now=t + 10)
    assert not verify(secret, header, body + b" ", now=t + 10), "a changed body"
    assert not verify("whsec_other", header, body, now=t + 10), "another secret"
    assert not verify(secret, header, body, now=t + 301), "a replay after the tolerance"
    assert not verify(secret, "v1=" + expected, body, now=t), "no timestamp"


# --- Delivery to a local receiver -------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: answers `statuses` in turn (then 200) and keeps what it was sent."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    delay: float = 0.0

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/briefing"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture
def services(store: Store, project_id: str) -> Services:
    services = Services(Settings(project=project_id), store=store)
    services.orgs.create("acme", "Acme Outdoor")
    services.credits.open_account("acme")
    return services


NOW = dt.datetime(2025, 3, 4, 6, 0, tzinfo=dt.UTC)  # 08:00 SAST


def fixed_briefing(services: BriefingServices, org_id: str, now: dt.datetime) -> Briefing:
    return Briefing(date=now.date(), generated_at=now, sections=[credits(120.0, 10.0)])


def sender(services: Services, name: str, attempts: int = 4) -> Sender:
    policy = RetryPolicy(attempts=attempts, first_pause_seconds=0.01, timeout_seconds=5)
    return Sender(services, policy, name, build=fixed_briefing)


def register(services: Services, url: str) -> str:
    admin = Principal(org_id="acme", role=Role.admin, key_id="k-admin")
    return webhooks.register(services, admin, url).secret


def test_delivery_is_signed_retried_and_recorded(services: Services, receiver: Receiver) -> None:
    secret = register(services, receiver.url)
    receiver.statuses = [503, 500]
    result = sender(services, "one").send_all(now=NOW)[0]
    assert (result.org_id, result.day, result.outcome, result.attempts) == ("acme", "2025-03-04", Outcome.delivered, 3)
    assert len(receiver.received) == 3
    for headers, body in receiver.received:
        assert headers["Content-Type"] == "application/json"
        parts = dict(part.split("=", 1) for part in headers[SIGNATURE_HEADER].split(","))
        t, v1 = parts["t"], parts["v1"]
        assert abs(int(t) - time.time()) < 60
        assert hmac.compare_digest(v1, hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest())
    posted = json.loads(receiver.received[-1][1])
    assert set(posted) == {"text", "blocks", "fluxori"}
    assert posted["text"].startswith("*Fluxori daily briefing: Acme Outdoor, 2025-03-04*")
    assert "120 credits: about 12 days at 10.00 a day" in posted["text"]
    assert posted["blocks"][0]["type"] == "header"
    assert posted["fluxori"]["sections"][0]["kind"] == "credits"

    delivery = WebhookRepository(services.store).delivery("acme", "2025-03-04")
    assert delivery is not None and delivery.status == DeliveryStatus.delivered and delivery.sender == "one"
    assert [a.status_code for a in delivery.attempts] == [503, 500, 200]
    assert [bool(a.error) for a in delivery.attempts] == [True, True, False]

    # The same day again (a re-run, the timer's next round): nothing is posted.
    again = sender(services, "two").send_all(now=NOW + dt.timedelta(hours=3))[0]
    assert again.outcome == Outcome.already_delivered and len(receiver.received) == 3
    # The next day is a delivery of its own.
    tomorrow = sender(services, "three").send_all(now=NOW + dt.timedelta(days=1))[0]
    assert tomorrow.outcome == Outcome.delivered and len(receiver.received) == 4


def test_gives_up_after_the_attempts_and_stays_failed_for_the_day(services: Services, receiver: Receiver) -> None:
    register(services, receiver.url)
    receiver.statuses = [500] * 10
    pauses: list[float] = []
    failing = sender(services, "one", attempts=3)
    failing.sleep = pauses.append
    result = failing.send_all(now=NOW)[0]
    assert (result.outcome, result.attempts, result.detail) == (Outcome.failed, 3, "HTTP 500: ok")
    assert pauses == [0.01, 0.02], "exponential backoff between attempts, none after the last"
    delivery = WebhookRepository(services.store).delivery("acme", "2025-03-04")
    assert delivery is not None and delivery.status == DeliveryStatus.failed and len(delivery.attempts) == 3
    assert sender(services, "two").send_all(now=NOW)[0].outcome == Outcome.already_failed
    assert len(receiver.received) == 3


def test_a_refusal_that_will_not_mend_is_not_retried(services: Services, receiver: Receiver) -> None:
    register(services, receiver.url)
    receiver.statuses = [404]
    result = sender(services, "one").send_all(now=NOW)[0]
    assert (result.outcome, result.attempts) == (Outcome.failed, 1) and len(receiver.received) == 1


def test_a_receiver_that_went_away_is_retried_then_given_up(services: Services, receiver: Receiver) -> None:
    register(services, receiver.url)
    receiver.server.shutdown()
    receiver.server.server_close()
    result = sender(services, "one", attempts=2).send_all(now=NOW)[0]
    assert (result.outcome, result.attempts) == (Outcome.failed, 2) and "ConnectError" in result.detail


def test_one_delivery_a_day_with_two_senders_at_once(services: Services, receiver: Receiver) -> None:
    register(services, receiver.url)
    receiver.statuses, receiver.delay = [503], 0.2  # the first sender is busy retrying while the second arrives
    start = threading.Barrier(2)
    outcomes: dict[str, Outcome] = {}

    def run(name: str) -> None:
        start.wait()
        outcomes[name] = sender(services, name).send_all(now=NOW)[0].outcome

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == sorted([Outcome.delivered, Outcome.in_progress])
    assert len(receiver.received) == 2, "one delivery: its failed attempt and its retry, nothing from the other"
    assert sender(services, "c").send_all(now=NOW)[0].outcome == Outcome.already_delivered


def test_a_dead_senders_claim_is_taken_over_after_its_lease(services: Services) -> None:
    repo = WebhookRepository(services.store)
    url = "http://127.0.0.1:1/h"
    assert repo.claim("acme", "2025-03-04", "dead", url, NOW).claimed
    assert not repo.claim("acme", "2025-03-04", "live", url, NOW + CLAIM_LEASE / 2).claimed
    taken = repo.claim("acme", "2025-03-04", "live", url, NOW + CLAIM_LEASE + dt.timedelta(seconds=1))
    assert taken.claimed and taken.delivery.sender == "live"
    late = DeliveryAttempt(at=NOW, status_code=200)
    assert not repo.record_attempt("acme", "2025-03-04", "dead", late), "the dead sender no longer holds it"
    assert not repo.finish("acme", "2025-03-04", "dead", DeliveryStatus.delivered)
    assert repo.finish("acme", "2025-03-04", "live", DeliveryStatus.delivered)


def test_a_briefing_that_cannot_be_built_gives_the_day_back(services: Services, receiver: Receiver) -> None:
    register(services, receiver.url)

    def broken(services: BriefingServices, org_id: str, now: dt.datetime) -> Briefing:
        raise RuntimeError("planning is down")

    failing = sender(services, "one")
    failing.build = broken
    result = failing.send_all(now=NOW)[0]
    assert (result.outcome, result.attempts) == (Outcome.failed, 0) and "planning is down" in result.detail
    assert not receiver.received
    assert WebhookRepository(services.store).delivery("acme", "2025-03-04") is None
    assert sender(services, "two").send_all(now=NOW)[0].outcome == Outcome.delivered


def test_a_url_that_became_unsafe_is_not_posted_to(services: Services) -> None:
    # Registered when it was fine; by the time of the post its host resolves to a private address.
    WebhookRepository(services.store).put("acme", WebhookConfig(url="http://rebind.example.com/h", secret="s"))
    rebound = sender(services, "one")
    rebound.resolve = resolving_to("10.0.0.9")
    result = rebound.send_all(now=NOW)[0]
    assert (result.outcome, result.attempts) == (Outcome.failed, 1) and "private address" in result.detail


def test_organisations_without_a_webhook_are_left_out(services: Services) -> None:
    services.orgs.create("quiet", "Quiet Org")
    assert sender(services, "one").send_all(now=NOW) == []
    result = sender(services, "one").send_all(["quiet"], now=NOW)[0]
    assert result.outcome == Outcome.no_webhook


# --- Registration rules -----------------------------------------------------------------------------------------


def test_only_admins_register_and_the_secret_is_not_shown_again(services: Services, receiver: Receiver) -> None:
    merchant = Principal(org_id="acme", role=Role.merchant, key_id="k-merchant")
    with pytest.raises(Forbidden, match="briefing webhook needs the admin role"):
        webhooks.register(services, merchant, receiver.url)
    first, second = register(services, receiver.url), register(services, receiver.url)
    assert first.startswith("whsec_") and second != first, "registering again makes a new secret"
    admin = Principal(org_id="acme", role=Role.admin, key_id="k-admin")
    view = webhooks.current(services, admin)
    assert view is not None and view.url == receiver.url and "secret" not in view.model_dump()
    assert webhooks.remove(services, admin) and webhooks.current(services, admin) is None
    assert not webhooks.remove(services, admin), "nothing left to remove"
    trail = {a: services.audit.list("acme", action=a, limit=50).entries for a in AUDITED}
    host = httpx.URL(receiver.url).host
    assert [(e.actor_key_id, e.target) for e in trail[AuditAction.webhook_registered]] == [("k-admin", host)] * 2
    assert [(e.actor_key_id, e.target) for e in trail[AuditAction.webhook_removed]] == [("k-admin", "acme")]
    assert receiver.url not in str(trail), "the URL (a credential for Slack and Teams) is not in the audit log"


def test_the_message_keeps_to_slacks_limits() -> None:
    item = CreditsItem(text="x" * 4000, prompt="p", balance=1, average_daily_use=0, days_left=None)
    section = CreditsSection(title="AI credits", prompt="p", total=1, items=[item])
    posted = message(Briefing(date=NOW.date(), generated_at=NOW, sections=[section]), "Acme")
    assert all(len(b["text"]["text"]) <= 3000 for b in posted["blocks"]) and len(posted["blocks"]) <= 50


def test_the_serve_timer_sends_at_start_and_stops(services: Services, receiver: Receiver) -> None:
    from app.cli_briefing import BriefingTimer

    register(services, receiver.url)
    timer = BriefingTimer(services, minutes=60).start()  # the real briefing of an organisation without data
    try:
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        timer.stop()
    assert len(receiver.received) == 1
    assert json.loads(receiver.received[0][1])["fluxori"]["sections"][-1]["kind"] == "credits"


def test_the_attempts_stay_inside_the_claims_lease(
    services: Services, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(services, receiver.url)
    receiver.statuses = [503] * 5
    monkeypatch.setattr(webhook_delivery, "SEND_BUDGET_SECONDS", 1.0)  # less than one more post's time limit (5 s)
    result = sender(services, "one").send_all(now=NOW)[0]
    assert (result.outcome, result.attempts) == (Outcome.failed, 1) and "no time left" in result.detail
    assert len(receiver.received) == 1
