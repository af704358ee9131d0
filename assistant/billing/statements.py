"""A monthly statement: one organisation's ledger over one SAST month, summed and reconciled.

Every ledger entry of the month falls in exactly one line, so the closing balance follows from the opening one
to the millicredit: purchases and grants add; a question's reservation and its settlement together take what it
was charged (usage); a reservation taken before the month and closed in it gives back what it held then
(held at start), one taken in the month and still open at its end holds its amount (held at end).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime

from assistant.billing.models import Statement, StatementPurchase, UsageLine
from assistant.billing.ports import BillingServices
from domain.credits import SAST, EntryKind, LedgerEntry
from domain.errors import InvalidInput
from domain.store import utcnow

MAX_ENTRIES = 100_000  # a month of a busy organisation: 50,000 questions
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_bounds(month: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's (SAST); a malformed or future month is refused."""
    found = MONTH.match(month)
    if not found:
        raise InvalidInput(f"a month is written YYYY-MM, e.g. 2026-11 (not {month!r})")
    year, number = int(found[1]), int(found[2])
    start = datetime(year, number, 1, tzinfo=SAST)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=SAST)
    today = (now or utcnow()).astimezone(SAST).date()
    if start.date() > today:
        raise InvalidInput(f"{month} has not started yet; ask for this month ({today:%Y-%m}) or an earlier one")
    return start, end


def _attempt_key(entry: LedgerEntry) -> str:
    # Entry ids are "<kind>-<request id>" and "-<attempt>" from the second attempt on (domain.credits).
    return entry.request_id + entry.id[len(entry.kind.value) + 1 + len(entry.request_id) :]


def _lines(totals: dict[str, list[int]]) -> list[UsageLine]:
    ordered = sorted(totals.items(), key=lambda item: (-item[1][1], item[0]))
    return [UsageLine(name=name, questions=n, credits_mc=mc) for name, (n, mc) in ordered]


def statement(services: BillingServices, org_id: str, month: str, now: datetime | None = None) -> Statement:
    start, end = month_bounds(month, now)
    credits = services.credits
    before = credits.ledger(org_id, limit=1, until=start)
    opening = before[0].balance_after_mc if before else 0
    entries = sorted(credits.ledger(org_id, limit=MAX_ENTRIES, since=start, until=end), key=lambda e: e.created_at)
    reserved = {_attempt_key(e) for e in entries if e.kind == EntryKind.reserve}
    closed = {_attempt_key(e) for e in entries if e.kind in (EntryKind.settle, EntryKind.refund)}
    purchases: list[StatementPurchase] = []
    grants = usage = questions = refunded = held_start = held_end = 0
    by_model: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_tool: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_key: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tool_mc = services.prices.tool_call_mc
    for entry in entries:
        details = entry.details or {}
        if entry.kind == EntryKind.grant and details.get("source") == "purchase":
            purchases.append(_purchase_line(services, org_id, entry))
        elif entry.kind == EntryKind.grant:
            grants += entry.amount_mc
        elif entry.kind == EntryKind.reserve and _attempt_key(entry) not in closed:
            held_end -= entry.amount_mc
        elif entry.kind in (EntryKind.settle, EntryKind.refund):
            if _attempt_key(entry) not in reserved:
                held_start += int(details.get("reserved_mc", 0))
            if entry.kind == EntryKind.refund:
                refunded += 1
                continue
            charged = int(details.get("charged_mc", 0))
            usage, questions = usage + charged, questions + 1
            for table, name in (
                (by_model, str(details.get("model") or "unknown")),
                (by_key, str(details.get("key_id") or "unknown")),
            ):
                table[name][0] += 1
                table[name][1] += charged
            tools = [str(tool) for tool in details.get("tools", [])]
            scale = min(1.0, charged / (tool_mc * len(tools))) if tools and tool_mc else 0.0
            for tool in dict.fromkeys(tools):
                by_tool[tool][0] += 1
                by_tool[tool][1] += round(tools.count(tool) * tool_mc * scale)
    bought = sum(p.credits_mc for p in purchases)
    closing = opening + bought + grants - usage + held_start - held_end
    ledger_closing = entries[-1].balance_after_mc if entries else opening
    return Statement(
        org_id=org_id,
        org_name=services.orgs.get(org_id).name,
        month=month,
        period_start=start,
        period_end=min(end, (now or utcnow()).astimezone(SAST)),
        generated_at=utcnow(),
        opening_mc=opening,
        purchases_mc=bought,
        purchases=purchases,
        grants_mc=grants,
        usage_mc=usage,
        questions=questions,
        refunded_questions=refunded,
        usage_by_model=_lines(by_model),
        usage_by_tool=_lines(by_tool),
        usage_by_key=_lines(by_key),
        held_at_start_mc=held_start,
        held_at_end_mc=held_end,
        closing_mc=closing,
        ledger_closing_mc=ledger_closing,
        reconciled=closing == ledger_closing,
    )


def _purchase_line(services: BillingServices, org_id: str, entry: LedgerEntry) -> StatementPurchase:
    number = str((entry.details or {}).get("invoice_number", ""))
    total = services.purchases.invoice(org_id, number).total_cents if number else 0
    return StatementPurchase(
        at=entry.created_at,
        invoice_number=number,
        description=entry.note,
        credits_mc=entry.amount_mc,
        total_cents=total,
    )


def current_month(now: datetime | None = None) -> str:
    today: date = (now or utcnow()).astimezone(SAST).date()
    return f"{today:%Y-%m}"
