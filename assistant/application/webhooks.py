"""The daily briefing's webhook: who may register one and where it may point, how a post is signed, and the
delivery with its retries.

Where a webhook may point (checked at registration and again before every post, on every address the host
resolves to, so a name that later resolves somewhere else is caught):
- gcp mode: `https://` only, and only public addresses: nothing loopback, private, link-local (the metadata
  server at 169.254.169.254), shared (100.64/10), multicast, reserved or documentation, in IPv4 or IPv6 (also
  IPv4 inside IPv6: mapped, 6to4, NAT64, Teredo). A post goes to the address that was checked (the connection
  is pinned to it; TLS still checks the certificate against the host name), and redirects are never followed.
- local mode: also `http://`, and this machine's loopback addresses, for a receiver on the same machine.

Signing: `X-Fluxori-Signature: t=<unix seconds>,v1=<hex>` where hex is HMAC-SHA256 with the organisation's
secret over `f"{t}.{body}"` (the raw body bytes). A receiver recomputes it, compares in constant time and
refuses a `t` older than a few minutes (`verify`).

Delivery (`send_briefing`): one per organisation per SAST day. The day's record is claimed in a transaction
first (domain.webhooks), so concurrent senders and re-runs post at most once; every attempt is recorded. A
network error, 408, 425, 429 or 5xx is retried after a pause that doubles (`RetryPolicy`); any other answer is
final (a 404 or 410 will not mend itself, and a redirect is not followed).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

from assistant.application.briefing import Briefing, BriefingServices, briefing_for
from assistant.application.policy import Capability, check
from domain.credits import SAST
from domain.errors import InvalidInput
from domain.orgs import Principal
from domain.store import utcnow
from domain.webhooks import CLAIM_LEASE, Delivery, DeliveryAttempt, DeliveryStatus, WebhookConfig, WebhookRepository

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Fluxori-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"
MAX_URL_CHARS = 2048
MAX_PAUSE_SECONDS = 60.0
SLACK_ITEMS_PER_SECTION = 5  # Slack shows up to 50 blocks of at most 3,000 characters: a summary, not the lot
RETRY_STATUSES = frozenset({408, 425, 429})
SEND_BUDGET_SECONDS = CLAIM_LEASE.total_seconds() / 2  # one organisation's attempts and pauses, at most
Mode = Literal["local", "gcp"]
# host, port -> the addresses it resolves to (socket.getaddrinfo; tests give their own).
Resolver = Callable[[str, int], list[str]]
ClientFactory = Callable[[float], httpx.Client]

# Special-purpose ranges (IANA IPv4/IPv6 special-purpose address registries) that a webhook may never reach.
# Listed rather than left to `ipaddress.is_global`, whose answer for some ranges changed between Python versions.
_BLOCKED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "reserved"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "reserved (documentation)"),
    ("192.88.99.0/24", "reserved"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "reserved (benchmarking)"),
    ("198.51.100.0/24", "reserved (documentation)"),
    ("203.0.113.0/24", "reserved (documentation)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "reserved"),
    ("::1/128", "loopback"),
    ("64:ff9b::/96", "reserved (NAT64)"),
    ("64:ff9b:1::/48", "reserved (NAT64)"),
    ("100::/64", "reserved (discard)"),
    ("2001::/23", "reserved (IETF protocol assignments)"),
    ("2001:db8::/32", "reserved (documentation)"),
    ("2002::/16", "reserved (6to4)"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "reserved (site-local)"),
    ("ff00::/8", "multicast"),
)
_NETWORKS = [(ipaddress.ip_network(net), kind) for net, kind in _BLOCKED]


class UnsafeWebhook(InvalidInput):
    """A webhook URL that may not be posted to (HTTP 422 at registration). `transient`: its host did not resolve
    (worth another try at delivery), as opposed to a rule it breaks."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def address_kind(address: str) -> str | None:
    """Why `address` may not be reached ("private", "loopback", ...), or None for a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of the address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_kind(str(ip.ipv4_mapped))
    for network, kind in _NETWORKS:
        if ip.version == network.version and ip in network:
            return kind
    return None if ip.is_global else "reserved"


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, each once."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A checked webhook URL and the addresses it may be posted to."""

    url: httpx.URL
    addresses: tuple[str, ...]

    def pinned(self) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """The URL with its host replaced by the first checked address, the Host header and the TLS server name
        that keep the request (and the certificate check) about the registered host."""
        address = self.addresses[0].split("%", 1)[0]
        host = self.url.raw_host.decode("ascii")
        named = f"[{host}]" if ":" in host else host  # an IPv6 literal is bracketed in a Host header
        header = named if self.url.port is None else f"{named}:{self.url.port}"
        extensions: dict[str, Any] = {}
        if self.url.scheme == "https" and not _is_ip(host):
            extensions["sni_hostname"] = host
        return self.url.copy_with(host=address), {"Host": header}, extensions


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def check_url(url: str, mode: Mode, resolve: Resolver = resolve_host) -> Target:
    """The URL, checked against the rules of `mode` (module docstring) on every address its host resolves to;
    UnsafeWebhook says which rule it breaks."""
    text = url.strip()
    if not text or len(text) > MAX_URL_CHARS:
        raise UnsafeWebhook(f"a webhook URL has 1 to {MAX_URL_CHARS} characters")
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise UnsafeWebhook(f"that is not a URL ({exc})") from None
    schemes = ("https",) if mode == "gcp" else ("https", "http")
    if parsed.scheme not in schemes:
        raise UnsafeWebhook(
            "a webhook URL must start with https://"
            + ("" if mode == "gcp" else " or, in local mode, http://")
            + (f" (not {parsed.scheme}://)" if parsed.scheme else "")
        )
    if not parsed.host:
        raise UnsafeWebhook("a webhook URL needs a host name, e.g. https://hooks.slack.com/services/...")
    if parsed.userinfo:
        raise UnsafeWebhook("leave the user name and password out of the webhook URL (put a token in its path)")
    if parsed.fragment:
        raise UnsafeWebhook("a webhook URL has no #fragment")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = resolve(host.strip("[]"), port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise UnsafeWebhook(f"the webhook host {host} does not resolve to any address", transient=True)
    for address in addresses:
        kind = address_kind(address)
        if kind is None or (mode == "local" and kind == "loopback"):
            continue
        allowed = "public addresses" + (" and, in local mode, this machine" if mode == "local" else "")
        raise UnsafeWebhook(
            f"the webhook host {host} resolves to {address}, a {kind} address: the briefing is only posted to {allowed}"
        )
    return Target(url=parsed, addresses=tuple(addresses))


# Signing ------------------------------------------------------------------------------------------------------
def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Fluxori-Signature` value of `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    secret: str, header: str, body: bytes, now: float | None = None, tolerance: int = SIGNATURE_TOLERANCE_SECONDS
) -> bool:
    """What a receiver does: the header's HMAC matches the body and its timestamp is recent (no replays)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# Registration -------------------------------------------------------------------------------------------------
class WebhookView(BaseModel):
    """The registered webhook as shown after registration: never its secret."""

    url: str
    created_at: datetime
    deliveries: list[Delivery] = Field(default_factory=list, description="The latest deliveries, newest first")


class Registered(BaseModel):
    url: str
    created_at: datetime
    secret: str = Field(
        description="Signs every post (X-Fluxori-Signature). Shown this once: registering again makes a new one"
    )


def _repository(services: BriefingServices) -> WebhookRepository:
    return WebhookRepository(services.store)


def register(
    services: BriefingServices, principal: Principal, url: str, resolve: Resolver = resolve_host
) -> Registered:
    """Register (or replace) the caller's organisation's webhook, with a new signing secret."""
    check(principal, Capability.briefing_webhook)
    target = check_url(url, services.settings.mode, resolve)
    config = WebhookConfig(url=str(target.url), secret=new_secret(), created_by=principal.key_id)
    _repository(services).put(principal.org_id, config)
    return Registered(url=config.url, created_at=config.created_at, secret=config.secret)


def current(services: BriefingServices, principal: Principal) -> WebhookView | None:
    check(principal, Capability.briefing_webhook)
    repo = _repository(services)
    config = repo.get(principal.org_id)
    if config is None:
        return None
    return WebhookView(url=config.url, created_at=config.created_at, deliveries=repo.deliveries(principal.org_id))


def remove(services: BriefingServices, principal: Principal) -> bool:
    check(principal, Capability.briefing_webhook)
    return _repository(services).delete(principal.org_id)


# The message ------------------------------------------------------------------------------------------------
def summary_text(briefing: Briefing, org_name: str) -> str:
    """The briefing as a short markdown message (Slack mrkdwn; Teams shows it as text)."""
    lines = [f"*Fluxori daily briefing: {org_name}, {briefing.date.isoformat()}*"]
    for section in briefing.sections:
        if not section.items:
            continue
        lines.append(f"\n*{section.title}*")
        lines += [f"• {item.text}" for item in section.items[:SLACK_ITEMS_PER_SECTION]]
        if (more := section.total - min(len(section.items), SLACK_ITEMS_PER_SECTION)) > 0:
            lines.append(f"• … and {more} more")
    if len(lines) == 1:
        lines.append("Nothing needs your attention today.")
    return "\n".join(lines)


def message(briefing: Briefing, org_name: str) -> dict[str, Any]:
    """The JSON posted: `text` and `blocks` for Slack and Teams incoming webhooks, the briefing under `fluxori`."""
    text = summary_text(briefing, org_name)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Daily briefing, {briefing.date.isoformat()}"}}
    ]
    for chunk in text.split("\n\n")[:40]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk[:3000]}})
    return {"text": text, "blocks": blocks, "fluxori": briefing.model_dump(mode="json")}


# Delivery ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_pause_seconds: float = 2.0
    timeout_seconds: float = 10.0

    def pause(self, failed_attempt: int) -> float:
        """The wait after failed attempt `failed_attempt` (1-based): doubling, at most a minute."""
        return float(min(self.first_pause_seconds * 2 ** (failed_attempt - 1), MAX_PAUSE_SECONDS))

    @classmethod
    def of(cls, services: BriefingServices) -> RetryPolicy:
        settings = services.settings
        return cls(settings.webhook_attempts, settings.webhook_retry_seconds, settings.webhook_timeout_seconds)


class Outcome(StrEnum):
    delivered = "delivered"
    failed = "failed"  # every attempt failed, or the receiver refused it: final for the day
    already_delivered = "already_delivered"
    already_failed = "already_failed"
    in_progress = "in_progress"  # another sender holds today's claim
    no_webhook = "no_webhook"


class SendResult(BaseModel):
    org_id: str
    day: str
    outcome: Outcome
    attempts: int = 0
    detail: str = ""


def default_client(timeout: float) -> httpx.Client:
    # No redirects (each hop would need the same checks) and no proxies from the environment (the post goes to
    # the address that was checked).
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def sender_id() -> str:
    """Names one run of a sender in the delivery records."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass
class Sender:
    """Posts briefings. `resolve`, `client` and `sleep` are the network and the clock, `build` makes an
    organisation's briefing (tests give their own)."""

    services: BriefingServices
    policy: RetryPolicy
    name: str
    resolve: Resolver = resolve_host
    client: ClientFactory = default_client
    sleep: Callable[[float], None] = time.sleep
    build: Callable[[BriefingServices, str, datetime], Briefing] = briefing_for

    @classmethod
    def of(cls, services: BriefingServices, name: str | None = None) -> Sender:
        """A sender with the settings' retry policy."""
        return cls(services, RetryPolicy.of(services), name or sender_id())

    def send_all(self, org_ids: Iterable[str] | None = None, now: datetime | None = None) -> list[SendResult]:
        """Each organisation's briefing to its own webhook (all registered ones, or those of `org_ids`). One
        organisation whose briefing cannot be built is a failed result (its day is given back for a later run),
        not the end of the others'."""
        repo = _repository(self.services)
        hooks = repo.registered() if org_ids is None else {org_id: repo.get(org_id) for org_id in org_ids}
        results = []
        for org_id, hook in sorted(hooks.items()):
            try:
                results.append(self.send(org_id, hook, now))
            except Exception as exc:
                log.exception("the briefing of %s could not be sent", org_id)
                day = (now or utcnow()).astimezone(SAST).date().isoformat()
                detail = f"the briefing could not be built: {type(exc).__name__}: {exc}"[:500]
                results.append(SendResult(org_id=org_id, day=day, outcome=Outcome.failed, detail=detail))
        return results

    def send(self, org_id: str, hook: WebhookConfig | None, now: datetime | None = None) -> SendResult:
        now = now or utcnow()
        day = now.astimezone(SAST).date().isoformat()
        if hook is None:
            return SendResult(org_id=org_id, day=day, outcome=Outcome.no_webhook, detail="no webhook registered")
        repo = _repository(self.services)
        claim = repo.claim(org_id, day, self.name, hook.url, now)
        if not claim.claimed:
            return _not_claimed(org_id, claim.delivery)
        try:
            briefing = self.build(self.services, org_id, now)
            name = self.services.orgs.get(org_id).name
        except Exception:
            repo.release(org_id, day, self.name)  # nothing was posted: a later run may try again today
            raise
        body = json.dumps(message(briefing, name), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        attempts, error = 0, ""
        # The whole run stays well inside the claim's lease, so no other sender takes the day over mid-run.
        deadline = time.monotonic() + SEND_BUDGET_SECONDS
        with self.client(self.policy.timeout_seconds) as client:
            for attempts in range(1, self.policy.attempts + 1):
                if attempts > 1 and time.monotonic() + self.policy.timeout_seconds > deadline:
                    attempts -= 1
                    error = f"{error}; gave up: no time left for another attempt"
                    break
                attempt, retry = self._post(client, hook, body)
                if not repo.record_attempt(org_id, day, self.name, attempt):  # the lease ran out: not ours now
                    detail = "another sender took today's delivery over"
                    return SendResult(
                        org_id=org_id, day=day, outcome=Outcome.in_progress, attempts=attempts, detail=detail
                    )
                if retry is None:
                    repo.finish(org_id, day, self.name, DeliveryStatus.delivered)
                    return SendResult(org_id=org_id, day=day, outcome=Outcome.delivered, attempts=attempts)
                error = attempt.error
                if not retry:
                    break
                if attempts < self.policy.attempts:
                    self.sleep(self.policy.pause(attempts))
        repo.finish(org_id, day, self.name, DeliveryStatus.failed)
        log.warning("briefing webhook of %s failed after %d attempt(s): %s", org_id, attempts, error)
        return SendResult(org_id=org_id, day=day, outcome=Outcome.failed, attempts=attempts, detail=error)

    def _post(self, client: httpx.Client, hook: WebhookConfig, body: bytes) -> tuple[DeliveryAttempt, bool | None]:
        """One attempt and whether to try again: None when it succeeded, True for a retryable failure."""
        at = utcnow()
        try:
            target = check_url(hook.url, self.services.settings.mode, self.resolve)
        except UnsafeWebhook as exc:
            return DeliveryAttempt(at=at, error=exc.message), exc.transient
        url, headers, extensions = target.pinned()
        headers |= {
            "Content-Type": "application/json",
            "User-Agent": "Fluxori-Briefing/1",
            SIGNATURE_HEADER: signature(hook.secret, int(time.time()), body),
        }
        try:
            response = client.post(url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            return DeliveryAttempt(at=at, error=f"{type(exc).__name__}: {exc}"[:500]), True
        status = response.status_code
        if 200 <= status < 300:
            return DeliveryAttempt(at=at, status_code=status), None
        if 300 <= status < 400:
            where = response.headers.get("location", "")
            error = f"HTTP {status}: redirected to {where[:200]}; redirects are not followed, register the final URL"
            return DeliveryAttempt(at=at, status_code=status, error=error), False
        error = f"HTTP {status}: {response.text[:200]}"
        return DeliveryAttempt(at=at, status_code=status, error=error), status >= 500 or status in RETRY_STATUSES


def _not_claimed(org_id: str, delivery: Delivery) -> SendResult:
    outcome = {
        DeliveryStatus.delivered: Outcome.already_delivered,
        DeliveryStatus.failed: Outcome.already_failed,
        DeliveryStatus.sending: Outcome.in_progress,
    }[delivery.status]
    return SendResult(
        org_id=org_id, day=delivery.day, outcome=outcome, attempts=len(delivery.attempts), detail=delivery.sender
    )
