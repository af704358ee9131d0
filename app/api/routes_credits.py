"""GET /v1/credits (balance, quota, usage, recent ledger) and POST /v1/admin/credits (admin top-up)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.api.auth import ADMIN_ROLES, CREDITS_READ_ROLES, require
from app.api.errors import doc
from app.api.schemas import CreditsView, GrantRequest, GrantResult, LedgerItem, credits
from domain.credits import MC_PER_CREDIT
from domain.orgs import Principal

router = APIRouter(prefix="/v1", tags=["credits"])


@router.get(
    "/credits",
    response_model=CreditsView,
    summary="The organisation's AI credits",
    description="Balance, daily quota and today's use, the most recent ledger entries and 30 days of usage.",
    responses=doc(401, 403, 404, 422, 429),
)
def get_credits(
    request: Request,
    principal: Annotated[Principal, Depends(require(*CREDITS_READ_ROLES))],
    limit: Annotated[int, Query(ge=1, le=200, description="How many ledger entries")] = 20,
) -> CreditsView:
    repo = request.app.state.services.credits
    org = principal.org_id
    return CreditsView.of(repo.account(org), repo.ledger(org, limit=limit), repo.daily_usage(org))


@router.post(
    "/admin/credits",
    response_model=GrantResult,
    tags=["admin"],
    summary="Top up the organisation's AI credits (admin)",
    description="Adds credits to the caller's organisation. The same `idempotency_key` never grants twice; "
    "reusing it with another amount is a conflict (409).",
    responses=doc(401, 403, 404, 409, 413, 422, 429),
)
def grant_credits(
    body: GrantRequest, request: Request, principal: Annotated[Principal, Depends(require(*ADMIN_ROLES))]
) -> GrantResult:
    repo = request.app.state.services.credits
    amount_mc = round(body.credits * MC_PER_CREDIT)
    entry = repo.grant(principal.org_id, amount_mc, body.idempotency_key, body.note)
    balance = repo.account(principal.org_id).balance_mc
    return GrantResult(entry=LedgerItem.of(entry), balance=credits(balance))
