"""AI credits as the API and the UI show and change them: the caller's own organisation, checked by role.

`usage` turns the ledger's entry pairs (a reservation taken before a question, then settled or refunded) into
one row per question with what it cost: what the person paying wants to read, and the same rows over the API
and in the UI."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from assistant.application import audit
from assistant.application.policy import Capability, check
from assistant.ports import Repositories
from domain.audit import AuditAction
from domain.credits import MC_PER_CREDIT, SAST, Account, EntryKind, LedgerEntry, as_credits
from domain.errors import InvalidInput
from domain.orgs import Principal
from domain.store import utcnow

MAX_GRANT_CREDITS = 1_000_000
MAX_NOTE_CHARS = 500
USAGE_DAYS = 30
MAX_USAGE_DAYS = 90
MAX_USAGE_ENTRIES = 10_000  # ledger entries read for a usage report: 5,000 questions, far beyond demo use

RowKind = Literal["question", "refunded", "answering", "grant"]


@dataclass(frozen=True)
class CreditsOverview:
    account: Account
    ledger: list[LedgerEntry]  # newest first
    daily_usage: dict[str, int]  # millicredits per SAST day


@dataclass(frozen=True)
class Granted:
    entry: LedgerEntry
    balance_mc: int  # the balance now (a retried grant returns its first entry, whose balance may be older)


class UsageRow(BaseModel):
    """One question (its reservation and settlement together), a refunded question, or a top-up."""

    at: datetime = Field(description="When the question was answered (or the top-up made); UTC")
    kind: RowKind = Field(
        description="question: answered and charged; refunded: stopped or failed, nothing charged; "
        "answering: still running, `reserved` credits held; grant: a top-up"
    )
    request_id: str = ""
    cost: float = Field(0.0, description="Credits the question cost (0 for a refunded one and a top-up)")
    added: float = Field(0.0, description="Credits a top-up added")
    reserved: float = Field(0.0, description="Credits held while the question is being answered")
    balance_after: float = Field(description="The balance after this row")
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    tools: list[str] = Field(default_factory=list, description="Tools the question used, in call order")
    embedded_chars: int = 0
    note: str = Field("", description="A top-up's note, or why a question was refunded")

    @property
    def day(self) -> date:
        return self.at.astimezone(SAST).date()


class DayUsage(BaseModel):
    day: date = Field(description="A day in SAST")
    credits: float = Field(description="Credits the questions of that day cost (0 on a day without use)")


class UsageReport(BaseModel):
    rows: list[UsageRow] = Field(description="Newest first")
    days: list[DayUsage] = Field(description="Every day of the period, oldest first, days without use included")


def overview(services: Repositories, principal: Principal, ledger_limit: int = 20) -> CreditsOverview:
    check(principal, Capability.credits_view)
    org, credits = principal.org_id, services.credits
    return CreditsOverview(credits.account(org), credits.ledger(org, limit=ledger_limit), credits.daily_usage(org))


def account(services: Repositories, principal: Principal) -> Account:
    """The caller's balance and daily quota."""
    check(principal, Capability.credits_view)
    return services.credits.account(principal.org_id)


def usage(services: Repositories, principal: Principal, days: int = USAGE_DAYS) -> UsageReport:
    """The questions and top-ups of the last `days` SAST days (today included), one row each."""
    check(principal, Capability.credits_view)
    if not 1 <= days <= MAX_USAGE_DAYS:
        raise InvalidInput(f"ask for 1 to {MAX_USAGE_DAYS} days of usage (not {days})")
    first = utcnow().astimezone(SAST).date() - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=SAST)
    entries = services.credits.ledger(principal.org_id, limit=MAX_USAGE_ENTRIES, since=since)
    rows = usage_rows(entries)
    return UsageReport(rows=rows, days=daily_series(rows, first, days))


def usage_rows(entries: list[LedgerEntry]) -> list[UsageRow]:
    """Ledger entries (any order) as rows, newest first. A question's reservation and its settlement (or refund)
    share a request id and attempt; a retried request after a refund is a question of its own."""
    calls: dict[str, list[LedgerEntry]] = defaultdict(list)
    rows: list[UsageRow] = []
    for entry in entries:
        if entry.kind == EntryKind.grant:
            rows.append(
                UsageRow(
                    at=entry.created_at,
                    kind="grant",
                    added=as_credits(entry.amount_mc),
                    balance_after=as_credits(entry.balance_after_mc),
                    note=entry.note,
                )
            )
            continue
        # Entry ids are "<kind>-<request id>" and "-<attempt>" from the second attempt on.
        attempt = entry.id[len(entry.kind.value) + 1 + len(entry.request_id) :]
        calls[entry.request_id + attempt].append(entry)
    rows.extend(_call_row(group) for group in calls.values())
    return sorted(rows, key=lambda row: row.at, reverse=True)


def _call_row(entries: list[LedgerEntry]) -> UsageRow:
    closing = next((e for e in entries if e.kind in (EntryKind.settle, EntryKind.refund)), None)
    if closing is None:  # only the reservation: the question is being answered
        reserve = entries[0]
        return UsageRow(
            at=reserve.created_at,
            kind="answering",
            request_id=reserve.request_id,
            reserved=as_credits(-reserve.amount_mc),
            balance_after=as_credits(reserve.balance_after_mc),
        )
    details = closing.details or {}
    refunded = closing.kind == EntryKind.refund
    return UsageRow(
        at=closing.created_at,
        kind="refunded" if refunded else "question",
        request_id=closing.request_id,
        cost=0.0 if refunded else as_credits(int(details.get("charged_mc", 0))),
        balance_after=as_credits(closing.balance_after_mc),
        model=str(details.get("model", "")),
        input_tokens=int(details.get("input_tokens", 0)),
        output_tokens=int(details.get("output_tokens", 0)),
        tools=[str(tool) for tool in details.get("tools", [])],
        embedded_chars=int(details.get("embedded_chars", 0)),
        note=str(details.get("reason", "")),
    )


def daily_series(rows: list[UsageRow], first: date, days: int) -> list[DayUsage]:
    spent: dict[date, float] = defaultdict(float)
    for row in rows:
        spent[row.day] += row.cost
    return [DayUsage(day=day, credits=round(spent[day], 3)) for day in (first + timedelta(days=i) for i in range(days))]


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
    details = {"credits": as_credits(amount_mc), "idempotency_key": idempotency_key, "note": entry.note}
    audit.record_as(services, principal, AuditAction.credits_granted, entry.id, details=details)  # target: its entry
    return Granted(entry=entry, balance_mc=services.credits.account(org).balance_mc)
