"""Delivering the daily briefing to each organisation's webhook: the message Slack and Teams accept, and the
posts with their retries.

One delivery per organisation per SAST day. The day's record is claimed in a transaction first (domain.webhooks),
so concurrent senders and re-runs post at most once; every attempt is recorded. A network error, 408, 425, 429 or
5xx is retried after a pause that doubles (`RetryPolicy`); any other answer is final (a 404 or 410 will not mend
itself, and a redirect is not followed). Each post is signed (`webhook_signing`) and goes to an address checked
just before it (`webhook_urls`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx
from pydantic import BaseModel

from assistant.application.briefing import Briefing, BriefingServices, briefing_for
from assistant.application.webhook_signing import SIGNATURE_HEADER, signature
from assistant.application.webhook_urls import Resolver, UnsafeWebhook, check_url, resolve_host
from domain.credits import SAST
from domain.store import utcnow
from domain.webhooks import CLAIM_LEASE, Delivery, DeliveryAttempt, DeliveryStatus, WebhookConfig, WebhookRepository

log = logging.getLogger(__name__)

MAX_PAUSE_SECONDS = 60.0
SLACK_ITEMS_PER_SECTION = 5  # Slack shows up to 50 blocks of at most 3,000 characters: a summary, not the lot
RETRY_STATUSES = frozenset({408, 425, 429})
SEND_BUDGET_SECONDS = CLAIM_LEASE.total_seconds() / 2  # one organisation's attempts and pauses, at most
ClientFactory = Callable[[float], httpx.Client]


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
        repo = WebhookRepository(self.services.store)
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
        repo = WebhookRepository(self.services.store)
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
