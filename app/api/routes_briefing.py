"""GET /v1/briefing (the daily briefing) and its webhook: PUT, GET and DELETE /v1/briefing/webhook (admin).

The organisation is the key's: there is no parameter naming one, so no caller can read or register another
organisation's briefing or webhook, and the sender posts each organisation's briefing to its own URL.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.api.deps import BriefingReader, ServicesDep, WebhookAdmin
from app.api.errors import doc
from assistant.application import briefing as app_briefing
from assistant.application import webhooks as app_webhooks
from assistant.application.briefing import DEFAULT_ITEMS, MAX_ITEMS, Briefing
from assistant.application.webhook_urls import MAX_URL_CHARS
from assistant.application.webhooks import Registered, WebhookView
from domain.errors import NotFound

router = APIRouter(prefix="/v1", tags=["briefing"])


class WebhookRequest(BaseModel):
    url: str = Field(
        min_length=1,
        max_length=MAX_URL_CHARS,
        description="Where the daily briefing is posted (a Slack or Teams incoming webhook, or your own receiver). "
        "gcp mode: https:// to a public address only",
        examples=["https://hooks.slack.com/services/T000/B000/XXXX"],
    )


@router.get(
    "/briefing",
    response_model=Briefing,
    summary="Today's briefing",
    description="What needs attention today, one section per kind: `stockouts` (reorder-plan rows that run out "
    "within their lead time), `rebalance` (the rebalance plan's transfers), `late_orders` (paid orders not shipped "
    "within the 48-hour dispatch promise), `shipments` (import shipments due within 7 days or late) and `credits` "
    "(days left at the last 7 days' average use). The figures are the planning tools'. Each item has a `prompt`: "
    "the chat message that starts the conversation about it.",
    responses=doc(401, 403, 422, 429, 503),
)
def get_briefing(
    principal: BriefingReader,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_ITEMS, description="At most this many items per section")] = DEFAULT_ITEMS,
) -> Briefing:
    return app_briefing.build(services, principal, limit=limit)


@router.put(
    "/briefing/webhook",
    response_model=Registered,
    tags=["admin"],
    summary="Register the briefing's webhook (admin)",
    description="`fluxori briefing send` posts the daily briefing here once a day, as JSON that Slack and Teams "
    "incoming webhooks accept (`text`, `blocks`; the briefing itself under `fluxori`), signed: header "
    "`X-Fluxori-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of f'{t}.{body}' with the secret>`. The secret is "
    "answered this once; registering again replaces the URL and makes a new secret. 422 for a URL that is not "
    "https (gcp mode) or whose host resolves to a private, loopback, link-local or reserved address.",
    responses=doc(401, 403, 413, 422, 429, 503),
)
def put_webhook(body: WebhookRequest, principal: WebhookAdmin, services: ServicesDep) -> Registered:
    return app_webhooks.register(services, principal, body.url)


@router.get(
    "/briefing/webhook",
    response_model=WebhookView,
    tags=["admin"],
    summary="The briefing's webhook and its latest deliveries (admin)",
    description="The registered URL (never the secret) and the last deliveries with every attempt.",
    responses=doc(401, 403, 404, 429, 503),
)
def get_webhook(principal: WebhookAdmin, services: ServicesDep) -> WebhookView:
    view = app_webhooks.current(services, principal)
    if view is None:
        raise NotFound("no briefing webhook is registered; PUT /v1/briefing/webhook registers one")
    return view


@router.delete(
    "/briefing/webhook",
    status_code=204,
    tags=["admin"],
    summary="Remove the briefing's webhook (admin)",
    responses=doc(401, 403, 404, 429, 503),
)
def delete_webhook(principal: WebhookAdmin, services: ServicesDep) -> Response:
    if not app_webhooks.remove(services, principal):
        raise NotFound("no briefing webhook is registered")
    return Response(status_code=204)
