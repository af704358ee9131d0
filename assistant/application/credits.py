"""AI credits as the API and the UI show and change them: the caller's own organisation, checked by role."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.application.policy import Capability, check
from assistant.ports import Repositories
from domain.credits import MC_PER_CREDIT, Account, LedgerEntry
from domain.errors import InvalidInput
from domain.orgs import Principal

MAX_GRANT_CREDITS = 1_000_000
MAX_NOTE_CHARS = 500


@dataclass(frozen=True)
class CreditsOverview:
    account: Account
    ledger: list[LedgerEntry]  # newest first
    daily_usage: dict[str, int]  # millicredits per SAST day


@dataclass(frozen=True)
class Granted:
    entry: LedgerEntry
    balance_mc: int  # the balance now (a retried grant returns its first entry, whose balance may be older)


def overview(services: Repositories, principal: Principal, ledger_limit: int = 20) -> CreditsOverview:
    check(principal, Capability.credits_view)
    org, credits = principal.org_id, services.credits
    return CreditsOverview(credits.account(org), credits.ledger(org, limit=ledger_limit), credits.daily_usage(org))


def grant_amount_mc(credits: float) -> int:
    """The millicredits of a grant of `credits`, or InvalidInput saying what amounts are allowed."""
    if not 0 < credits <= MAX_GRANT_CREDITS:
        raise InvalidInput(f"grant above 0 and at most {MAX_GRANT_CREDITS:,} credits (not {credits:g})")
    amount_mc = round(credits * MC_PER_CREDIT)
    if amount_mc <= 0:
        raise InvalidInput("grant at least 0.001 credits")
    return amount_mc


def grant(
    services: Repositories, principal: Principal, credits: float, idempotency_key: str, note: str = ""
) -> Granted:
    """Top up the caller's organisation. The same idempotency key never grants twice."""
    check(principal, Capability.credits_grant)
    amount_mc = grant_amount_mc(credits)
    org = principal.org_id
    entry = services.credits.grant(org, amount_mc, idempotency_key, note.strip()[:MAX_NOTE_CHARS])
    return Granted(entry=entry, balance_mc=services.credits.account(org).balance_mc)
