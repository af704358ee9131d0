"""`fluxori eval agent`: run a JSONL development set through the same service path as the API and score it.

A case: `{"id", "org", "turns": [...], "expect": {...}, "setup": {...}}`.
- A turn is a user message, or `"!confirm"` / `"!reject"` to answer the pending confirmation.
- `expect.tools`: tool names in order over the user turns; `expect.args`: {name: value} that some action used;
  `expect.answer_contains`: strings the last answer contains (case-insensitive); `expect.refused`: the error code
  a turn must be refused with (e.g. `insufficient_credits`); `expect.no_pending`: no confirmation left open;
  `expect.unchanged`: nothing in stock or orders may change.
- Strings in `answer_contains` may name live values, resolved from the data before the case runs, so the set
  stays right when the demo data changes: `{available:SKU:WH}`, `{on_hand:SKU:WH}`, `{order_status:N}`.
- `setup.balance_credits`: set the organisation's balance first (refusal cases), without using today's quota;
  `setup.used_today_credits`: set how much of today's quota is used (quota refusals).
Each case runs in its own copy of the demo data, so cases never see each other's writes.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from assistant.contracts import ChatRequest, ChatResponse, ConfirmRequest
from assistant.ports import AppServices
from domain.credits import MC_PER_CREDIT, quota_day
from domain.errors import DomainError, InvalidInput
from domain.orgs import Principal, Role

PLACEHOLDER = re.compile(r"\{(available|on_hand|order_status):([^}:]+)(?::([^}]+))?\}")


class Expectation(BaseModel):
    tools: list[str] | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    answer_contains: list[str] = Field(default_factory=list)
    refused: str | None = None
    no_pending: bool = False
    unchanged: bool = False


class Case(BaseModel):
    id: str
    org: str
    turns: list[str] = Field(min_length=1)
    expect: Expectation = Field(default_factory=Expectation)
    setup: dict[str, Any] = Field(default_factory=dict)
    role: Role = Role.merchant


class CaseResult(BaseModel):
    id: str
    tools_ok: bool
    args_ok: bool
    answer_ok: bool
    passed: bool
    latencies_ms: list[float]
    credits: float
    problems: list[str] = Field(default_factory=list)


class AgentReport(BaseModel):
    cases: int
    tool_accuracy: float
    argument_accuracy: float
    answer_accuracy: float
    accuracy: float
    latency_p50_ms: float
    latency_p95_ms: float
    credits_used: float
    results: list[CaseResult]


def load_cases(path: Path) -> list[Case]:
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file; give a JSONL dev set such as evals/agent_dev.jsonl")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            cases.append(Case.model_validate_json(line))
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise InvalidInput(f"{path}:{number}: {problem}") from None
    if not cases:
        raise InvalidInput(f"{path} holds no cases")
    return cases


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip().lower() == actual.strip().lower()
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    result: bool = expected == actual
    return result


def _resolve(text: str, services: AppServices, org: str) -> str:
    def value(match: re.Match[str]) -> str:
        kind, key, warehouse = match.groups()
        if kind == "order_status":
            return services.orders.get(org, int(key)).status.value
        level = services.inventory.level(org, key, warehouse)
        return str(level.available if kind == "available" else level.on_hand)

    return PLACEHOLDER.sub(value, text)


def _snapshot(services: AppServices, org: str) -> tuple[Any, ...]:
    stock = sorted((lvl.sku, lvl.warehouse, lvl.on_hand, lvl.reserved) for lvl in services.inventory.all_levels(org))
    orders = sorted((o.number, o.status.value) for o in services.orders.list(org, limit=1000))
    points = sorted((p.sku, p.reorder_point) for p in services.products.list(org))
    return tuple(stock), tuple(orders), tuple(points)


def run_case(case: Case, services: AppServices) -> CaseResult:
    """Run one case against `services` (a fresh copy of the demo data) through the assistant service."""
    chat = services.assistant
    principal = Principal(org_id=case.org, role=case.role, key_id=f"eval-{case.id}", label="eval")
    if "balance_credits" in case.setup:
        _set_balance(services, case.org, round(float(case.setup["balance_credits"]) * MC_PER_CREDIT))
    if "used_today_credits" in case.setup:
        _set_used_today(services, case.org, round(float(case.setup["used_today_credits"]) * MC_PER_CREDIT))
    expected_answers = [_resolve(s, services, case.org) for s in case.expect.answer_contains]
    before = _snapshot(services, case.org) if case.expect.unchanged else None
    start_balance = services.credits.account(case.org).balance_mc
    responses: list[ChatResponse] = []
    tools: list[str] = []
    latencies: list[float] = []
    refused: str | None = None
    conversation: str | None = None
    problems: list[str] = []
    for turn in case.turns:
        started = time.perf_counter()
        try:
            if turn in ("!confirm", "!reject"):
                pending = responses[-1].pending_confirmation if responses else None
                if pending is None:
                    problems.append(f"{turn}: nothing to confirm")
                    break
                request = ConfirmRequest(confirmation_id=pending.id, approve=turn == "!confirm")
                response = chat.confirm(principal, request, uuid.uuid4().hex)
            else:
                response = chat.chat(
                    principal, ChatRequest(message=turn, conversation_id=conversation), uuid.uuid4().hex
                )
                tools.extend(a.tool for a in response.actions)
        except DomainError as exc:
            refused = exc.code
            latencies.append((time.perf_counter() - started) * 1000)
            break
        latencies.append((time.perf_counter() - started) * 1000)
        conversation = response.conversation_id
        responses.append(response)

    expect = case.expect
    tools_ok = expect.tools is None or tools == expect.tools
    if not tools_ok:
        problems.append(f"tools {tools} != {expect.tools}")
    used = [a.args for r in responses for a in r.actions]
    args_ok = all(any(_same(v, args.get(k)) for args in used) for k, v in expect.args.items())
    if not args_ok:
        problems.append(f"args {used} lack {expect.args}")
    answer = responses[-1].answer if responses else ""
    missing = [s for s in expected_answers if s.lower() not in answer.lower()]
    answer_ok = not missing and (expect.refused is None or refused == expect.refused)
    if missing:
        problems.append(f"answer {answer!r} lacks {missing}")
    if expect.refused != refused:
        problems.append(f"refused with {refused!r}, expected {expect.refused!r}")
        answer_ok = False
    if expect.no_pending and responses and responses[-1].pending_confirmation is not None:
        problems.append("a confirmation was left pending")
        answer_ok = False
    if before is not None and _snapshot(services, case.org) != before:
        problems.append("data changed")
        answer_ok = False
    spent = start_balance - services.credits.account(case.org).balance_mc
    return CaseResult(
        id=case.id,
        tools_ok=tools_ok,
        args_ok=args_ok,
        answer_ok=answer_ok,
        passed=tools_ok and args_ok and answer_ok and not problems,
        latencies_ms=latencies,
        credits=max(spent, 0) / MC_PER_CREDIT,
        problems=problems,
    )


def _set_balance(services: AppServices, org: str, target_mc: int) -> None:
    """Lower the balance with a reserve + settle (a ledger entry like any charge) under a quota raised for the
    moment, then put the quota and today's usage back: the balance changes, the daily quota does not."""
    credits = services.credits
    account = credits.account(org)
    difference, key = account.balance_mc - target_mc, f"eval-{uuid.uuid4().hex[:8]}"
    if difference > 0:
        credits.set_daily_quota(org, account.used_today_mc + difference + account.daily_quota_mc)
        try:
            credits.reserve(org, key, difference)
            credits.settle(org, key, difference, {"reason": "evaluation set-up"})
        finally:
            credits.set_daily_quota(org, account.daily_quota_mc)
        _set_used_today(services, org, account.used_today_mc)
    elif difference < 0:
        credits.grant(org, -difference, key, "evaluation set-up")


def _set_used_today(services: AppServices, org: str, used_mc: int) -> None:
    # The credits repository has no API to change usage (only real calls do); the harness writes the usage
    # document of today's quota day (domain.credits keeps it at usage/{day}.used_mc).
    day = quota_day()
    services.store.col(org, "usage").document(day).set({"day": day, "used_mc": used_mc}, merge=True)


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(q) - 1]


def changes_data(case: Case) -> bool:
    return "!confirm" in case.turns or bool(case.setup)


def evaluate(
    cases: Iterable[Case],
    fresh_services: Callable[[bool], AppServices],
    progress: Callable[[CaseResult], None] | None = None,
) -> AgentReport:
    """Cases that can change data (a confirmation, a set-up) get a fresh copy of the demo data; the others,
    which can only read, share one, which keeps a run of the whole set to a couple of minutes. The argument of
    `fresh_services` says whether the copy needs the help centre indexed (only the shared one does)."""
    results = []
    shared = None
    for case in cases:
        if changes_data(case):
            services = fresh_services(False)
        else:
            shared = shared or fresh_services(True)
            services = shared
        result = run_case(case, services)
        results.append(result)
        if progress:
            progress(result)
    n = len(results) or 1
    latencies = [ms for r in results for ms in r.latencies_ms]
    return AgentReport(
        cases=len(results),
        tool_accuracy=sum(r.tools_ok for r in results) / n,
        argument_accuracy=sum(r.args_ok for r in results) / n,
        answer_accuracy=sum(r.answer_ok for r in results) / n,
        accuracy=sum(r.passed for r in results) / n,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        credits_used=round(sum(r.credits for r in results), 3),
        results=results,
    )


def dump_failures(report: AgentReport) -> str:
    return "\n".join(f"{r.id}: {'; '.join(r.problems)}" for r in report.results if not r.passed)


def as_json(report: AgentReport) -> str:
    return json.dumps(report.model_dump(exclude={"results"}))
