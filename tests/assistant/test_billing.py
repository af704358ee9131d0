"""Every assistant call is charged to the organisation: reserved up front, settled from the model's usage,
refunded on failure, refused before anything runs when credits or quota are short, never overspent."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from app.wiring import Services
from assistant.contracts import ChatRequest
from assistant.pricing import TOOL_CALL_MC, cost_mc, model_price, reservation_mc
from assistant.service import ChatService
from domain.confirmations import KEEP_RESPONSES
from domain.credits import EntryKind, as_credits
from domain.emulator import FirestoreEmulator
from domain.errors import InsufficientCredits, QuotaExceeded
from tests.assistant.conftest import make_services, principal

RequestId = Callable[[], str]
OFFLINE = model_price("offline", "fluxori-offline-1")


class ScriptedModel(GenericFakeChatModel):
    """LangChain's fake chat model replaying scripted replies with fixed usage, so that the exact charge is
    known in advance (a real model's token counts are not). Used only for the billing arithmetic."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedModel:
        return self


def scripted(*replies: AIMessage) -> ScriptedModel:
    for reply in replies:
        reply.response_metadata = {"model_name": "fluxori-offline-1"}
    return ScriptedModel(messages=iter(replies), disable_streaming=True)


def usage(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}


def balance(services: Services, org: str) -> int:
    return services.credits.account(org).balance_mc


def test_scripted_call_is_charged_exactly(services: Services, request_id: RequestId) -> None:
    model = scripted(
        AIMessage(
            content="",
            usage_metadata=usage(1200, 30),
            tool_calls=[{"name": "credits_balance", "args": {}, "id": "call_1", "type": "tool_call"}],
        ),
        AIMessage(content="You have plenty of credits.", usage_metadata=usage(1500, 20)),
    )
    chat = ChatService(services.settings, services, model=model)
    before = balance(services, "fynbos")
    response = chat.chat(principal("fynbos"), ChatRequest(message="credits?"), rid := request_id())
    expected = cost_mc(OFFLINE, 2700, 50, 1, 0)
    assert expected == 135 + 5 + TOOL_CALL_MC  # 2.7k x 50 + 0.05k x 100 (rounded up) + one tool call
    assert balance(services, "fynbos") == before - expected
    assert response.usage.credits_charged == expected / 1000
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.tool_calls) == (2700, 50, 1)
    settle = next(e for e in services.credits.ledger("fynbos", kind=EntryKind.settle) if e.request_id == rid)
    assert settle.details["charged_mc"] == expected and settle.details["reserved_mc"] == reservation_mc(OFFLINE)
    assert settle.details["model"] == "fluxori-offline-1" and settle.details["tools"] == ["credits_balance"]
    assert services.credits.ledger_total("fynbos") == balance(services, "fynbos")


def test_retried_request_is_answered_again_without_a_second_charge(services: Services, request_id: RequestId) -> None:
    chat = services.assistant
    rid = request_id()
    first = chat.chat(principal(), ChatRequest(message="where is order 1010?"), rid)
    after_first = balance(services, "bergveld")
    again = chat.chat(principal(), ChatRequest(message="where is order 1010?"), rid)
    assert again == first and balance(services, "bergveld") == after_first
    assert first.credits_balance == as_credits(after_first) and first.usage.credits_charged > 0
    stored = services.store.col("bergveld", "responses").document(rid).get()
    assert stored.get("delete_after") - stored.get("created_at") == KEEP_RESPONSES  # Firestore's TTL field


class BrokenSearcher:
    def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        raise RuntimeError("index unreachable")


def test_failed_call_is_refunded(services: Services, request_id: RequestId) -> None:
    chat = ChatService(services.settings, services, model=services.chat_model, searcher=BrokenSearcher())
    before = balance(services, "bergveld")
    with pytest.raises(RuntimeError):
        chat.chat(principal(), ChatRequest(message="how do I connect my Takealot seller account?"), rid := request_id())
    assert balance(services, "bergveld") == before
    refund = services.credits.ledger("bergveld", kind=EntryKind.refund)[0]
    assert refund.request_id == rid and refund.amount_mc == reservation_mc(OFFLINE)


@pytest.fixture
def poor(emulator: FirestoreEmulator, tmp_path: Path) -> Services:
    """Demo data in a database of its own, so that draining credits affects no other test."""
    return make_services(emulator, tmp_path)


def set_balance(services: Services, org: str, target_mc: int) -> None:
    """Spend or grant through the ledger, so that the ledger still sums to the balance."""
    difference, key = balance(services, org) - target_mc, f"set-{uuid.uuid4().hex[:8]}"
    if difference > 0:
        services.credits.reserve(org, key, difference)
        services.credits.settle(org, key, difference)
    elif difference < 0:
        services.credits.grant(org, -difference, key)


def test_not_enough_credits_is_refused_before_the_model_runs(poor: Services, request_id: RequestId) -> None:
    set_balance(poor, "fynbos", reservation_mc(OFFLINE) - 1)
    never = ScriptedModel(messages=iter([]), disable_streaming=True)  # any model call would fail
    chat = ChatService(poor.settings, poor, model=never)
    with pytest.raises(InsufficientCredits) as refused:
        chat.chat(principal("fynbos"), ChatRequest(message="how many FG-SERUM-0001?"), request_id())
    assert "balance is 0.959 credits" in refused.value.message and "needs up to 0.96 credits" in refused.value.message
    assert "top up" in refused.value.message
    assert not list(poor.store.col("fynbos", "conversations").stream())
    assert poor.credits.ledger_total("fynbos") == balance(poor, "fynbos") == reservation_mc(OFFLINE) - 1


def test_daily_quota_is_refused_with_a_retry_time(poor: Services, request_id: RequestId) -> None:
    quota = reservation_mc(OFFLINE) + 100
    poor.credits.set_daily_quota("bergveld", quota)
    chat = poor.assistant
    answered = 0
    with pytest.raises(QuotaExceeded) as refused:
        for number in range(1001, 1011):
            chat.chat(principal(), ChatRequest(message=f"where is order {number}?"), request_id())
            answered += 1
    assert answered >= 1  # a reservation counts against the quota until settled at the (lower) actual cost
    assert poor.credits.account("bergveld").used_today_mc <= quota
    assert 0 < refused.value.retry_after_seconds <= 86_400 and "resets at midnight SAST" in refused.value.message


def test_thirty_concurrent_calls_against_a_balance_for_ten_never_overspend(
    poor: Services, request_id: RequestId
) -> None:
    set_balance(poor, "fynbos", reservation_mc(OFFLINE) * 10)
    chat = poor.assistant
    chat.chat(principal("fynbos"), ChatRequest(message="warm-up: what is my credit balance?"), request_id())
    set_balance(poor, "fynbos", reservation_mc(OFFLINE) * 10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def call(i: int) -> None:
        try:
            chat.chat(principal("fynbos"), ChatRequest(message=f"where is order {1001 + i}?"), f"burst-{i}")
            result = "answered"
        except InsufficientCredits:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 30
    assert outcomes.count("answered") >= 10  # ten fit whatever the order; settled calls free room for more
    assert balance(poor, "fynbos") >= 0
    assert poor.credits.ledger_total("fynbos") == balance(poor, "fynbos")
    reservations = list(poor.store.col("fynbos", "reservations").stream())
    assert all(r.get("status") == "settled" for r in reservations if r.id.startswith("burst-"))
