"""GET /v1/credits (balance, quota, usage, recent ledger), GET /v1/credits/usage (one row per question with its
cost, and the credits of every day) and POST /v1/admin/credits (admin top-up)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import CreditsGranter, CreditsViewer, ServicesDep
from app.api.errors import doc
from app.api.schemas import CreditsView, GrantRequest, GrantResult, LedgerItem
from assistant.application import credits as app_credits
from assistant.application.credits import MAX_USAGE_DAYS, USAGE_DAYS, UsageReport
from domain.credits import as_credits

router = APIRouter(prefix="/v1", tags=["credits"])


@router.get(
    "/credits",
    response_model=CreditsView,
    summary="The organisation's AI credits",
    description="Balance, daily quota and today's use, the most recent ledger entries and 30 days of usage.",
    responses=doc(401, 403, 404, 422, 429),
)
def get_credits(
    principal: CreditsViewer,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200, description="How many ledger entries")] = 20,
) -> CreditsView:
    view = app_credits.overview(services, principal, ledger_limit=limit)
    return CreditsView.of(view.account, view.ledger, view.daily_usage)


@router.get(
    "/credits/usage",
    response_model=UsageReport,
    summary="What each question cost",
    description="One row per question of the last `days` days (SAST, today included), newest first: its cost, "
    "model, tokens and tools; a question that was stopped or failed shows as refunded, a top-up as a grant. "
    "`days` has the credits of every day of the period, days without use included. The Credits & usage tab of "
    "the UI shows the same rows.",
    responses=doc(401, 403, 404, 422, 429),
)
def get_usage(
    principal: CreditsViewer,
    services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=MAX_USAGE_DAYS, description="How many days, today included")] = USAGE_DAYS,
) -> UsageReport:
    return app_credits.usage(services, principal, days)


@router.post(
    "/admin/credits",
    response_model=GrantResult,
    tags=["admin"],
    summary="Top up the organisation's AI credits (admin)",
    description="Adds credits to the caller's organisation. The same `idempotency_key` never grants twice; "
    "reusing it with another amount is a conflict (409).",
    responses=doc(401, 403, 404, 409, 413, 422, 429),
)
def grant_credits(body: GrantRequest, principal: CreditsGranter, services: ServicesDep) -> GrantResult:
    granted = app_credits.grant(services, principal, body.credits, body.idempotency_key, body.note)
    return GrantResult(entry=LedgerItem.of(granted.entry), balance=as_credits(granted.balance_mc))
