"""Registering the daily briefing's webhook (admins): where it may point is checked (`webhook_urls`), a new
signing secret is made each time (`webhook_signing`), and registering or removing one is audited. Delivery is
`webhook_delivery`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from assistant.application import audit
from assistant.application.briefing import BriefingServices
from assistant.application.policy import Capability, check
from assistant.application.webhook_signing import new_secret
from assistant.application.webhook_urls import Resolver, check_url, resolve_host
from domain.audit import AuditAction
from domain.orgs import Principal
from domain.webhooks import Delivery, WebhookConfig, WebhookRepository


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
    # The host only: a Slack or Teams webhook URL is itself a credential (its path is the token).
    audit.record_as(services, principal, AuditAction.webhook_registered, target.url.host)
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
    removed = _repository(services).delete(principal.org_id)
    if removed:
        audit.record_as(services, principal, AuditAction.webhook_removed, principal.org_id)
    return removed
