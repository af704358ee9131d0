"""An answer stopped half-way (Stop in the UI closes the stream) is not charged: the reservation is refunded."""

from __future__ import annotations

from assistant.contracts import ChatRequest
from assistant.pricing import model_price, reservation_mc
from assistant.service import ChatService
from domain.credits import EntryKind
from tests.assistant.conftest import principal


def test_a_stream_closed_before_its_end_is_refunded(services, request_id):
    chat = ChatService(services.settings, services, model=services.chat_model)
    before = services.credits.account("bergveld").balance_mc
    events = chat.stream(principal(), ChatRequest(message="how many BV-TENT-0001 do we have?"), rid := request_id())
    first = next(events)
    assert first.event in ("token", "tool_call")  # it started, and the reservation is held
    assert services.credits.account("bergveld").balance_mc < before
    events.close()
    assert services.credits.account("bergveld").balance_mc == before
    refund = services.credits.ledger("bergveld", kind=EntryKind.refund)[0]
    assert refund.request_id == rid
    assert refund.amount_mc == reservation_mc(model_price("offline", "fluxori-offline-1"))
