"""What a crash or a refusal leaves half-done is put right (domain.recovery), and request ids are safe to retry:
stale reservations refunded with a ledger entry (the request id then answers again), confirmations released
when their run is refused, fails or dies, stored answers given only to the key and body that asked, confirm
retries answered with the first answer. The real ChatService (offline model) on the session emulator."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.wiring import Services
from assistant.contracts import ChatRequest, ConfirmRequest
from assistant.service import ChatService
from domain.credits import EntryKind
from domain.emulator import FirestoreEmulator
from domain.errors import Conflict, QuotaExceeded
from domain.orgs import Principal, Role
from domain.recovery import CONFIRMATION_TTL, RESERVATION_TTL, sweep_confirmations, sweep_reservations
from domain.store import utcnow
from tests.assistant.conftest import make_services

MOVE = "move 5 BV-TENT-0001 from Johannesburg to Durban"


@pytest.fixture(scope="module")
def services(emulator: FirestoreEmulator, tmp_path_factory: pytest.TempPathFactory) -> Services:
    return make_services(emulator, tmp_path_factory.mktemp("recovery"))


@pytest.fixture(scope="module")
def chat(services: Services) -> ChatService:
    return ChatService(services.settings, services, model=services.chat_model)


def merchant(key: str = "key-a") -> Principal:
    return Principal(org_id="bergveld", role=Role.merchant, key_id=key, label=key)


def rid() -> str:
    return f"req-{uuid.uuid4().hex[:16]}"


def ledger_matches(services: Services, org: str = "bergveld") -> bool:
    return services.credits.ledger_total(org) == services.credits.account(org).balance_mc


def later(ttl: timedelta):
    return utcnow() + ttl + timedelta(minutes=1)


def test_a_stale_reservation_is_refunded_and_its_request_id_answers_again(services: Services, chat: ChatService):
    request_id, balance = rid(), services.credits.account("bergveld").balance_mc
    services.credits.reserve("bergveld", request_id, 5000)  # a request that died with its server
    with pytest.raises(Conflict):  # being answered, as far as anyone can tell
        chat.chat(merchant(), ChatRequest(message="stock of BV-TENT-0002"), request_id)

    assert sweep_reservations(services.credits, "bergveld") == 0  # not stale yet
    assert sweep_reservations(services.credits, "bergveld", now=later(RESERVATION_TTL)) == 1
    assert services.credits.account("bergveld").balance_mc == balance and ledger_matches(services)
    refund = services.credits.ledger("bergveld", kind=EntryKind.refund)[0]
    assert refund.request_id == request_id and refund.amount_mc == 5000

    answer = chat.chat(merchant(), ChatRequest(message="stock of BV-TENT-0002"), request_id)
    assert answer.answer and answer.usage.credits_charged > 0
    assert services.credits.open_reservations("bergveld", older_than=later(RESERVATION_TTL)) == []
    assert ledger_matches(services)


def _pending(chat: ChatService) -> str:
    response = chat.chat(merchant(), ChatRequest(message=MOVE), rid())
    assert response.pending_confirmation is not None
    return response.pending_confirmation.id


def _status(services: Services, confirmation_id: str) -> str:
    return services.store.col("bergveld", "confirmations").document(confirmation_id).get().get("status")


def test_a_confirmation_refused_for_its_quota_goes_back_to_pending(services: Services, chat: ChatService):
    confirmation = _pending(chat)
    quota = services.credits.account("bergveld").daily_quota_mc
    services.credits.set_daily_quota("bergveld", 1)  # today's quota is used up
    try:
        with pytest.raises(QuotaExceeded):
            chat.confirm(merchant(), ConfirmRequest(confirmation_id=confirmation, approve=True), rid())
        assert _status(services, confirmation) == "pending"
    finally:
        services.credits.set_daily_quota("bergveld", quota)
    done = chat.confirm(merchant(), ConfirmRequest(confirmation_id=confirmation, approve=True), rid())
    assert any(a.tool == "transfer_stock" and a.status == "executed" for a in done.actions)
    assert _status(services, confirmation) == "approved"


def test_a_confirmation_whose_run_fails_goes_back_to_pending(services: Services, chat: ChatService, monkeypatch):
    confirmation = _pending(chat)

    class Broken:
        def stream(self, *args, **kwargs):
            raise RuntimeError("the model provider went away")

    monkeypatch.setitem(chat._agents, "operator", Broken())
    with pytest.raises(RuntimeError):
        chat.confirm(merchant(), ConfirmRequest(confirmation_id=confirmation, approve=False), rid())
    assert _status(services, confirmation) == "pending"
    monkeypatch.undo()
    rejected = chat.confirm(merchant(), ConfirmRequest(confirmation_id=confirmation, approve=False), rid())
    assert any(a.status == "rejected" for a in rejected.actions)


def test_a_confirmation_whose_process_died_is_released_by_the_sweep(services: Services, chat: ChatService):
    confirmation = _pending(chat)
    ref = services.store.col("bergveld", "confirmations").document(confirmation)
    ref.update({"status": "processing", "decision": "approve", "claimed_at": utcnow(), "request_id": rid()})
    assert sweep_confirmations(services.store, "bergveld") == 0  # a run may still be going on
    assert sweep_confirmations(services.store, "bergveld", now=later(CONFIRMATION_TTL)) == 1
    assert _status(services, confirmation) == "pending"


def test_a_stored_answer_is_given_only_to_the_key_and_body_that_asked(chat: ChatService):
    request_id, question = rid(), ChatRequest(message="stock of BV-TENT-0003 in Durban")
    first = chat.chat(merchant("key-a"), question, request_id)
    assert chat.chat(merchant("key-a"), question, request_id) == first
    with pytest.raises(Conflict):
        chat.chat(merchant("key-b"), question, request_id)  # another key of the same organisation
    with pytest.raises(Conflict):
        chat.chat(merchant("key-a"), ChatRequest(message="stock of BV-TENT-0005"), request_id)


def test_a_retried_confirm_gets_the_first_answer(services: Services, chat: ChatService):
    confirmation, request_id = _pending(chat), rid()
    decision = ConfirmRequest(confirmation_id=confirmation, approve=False)
    first = chat.confirm(merchant(), decision, request_id)
    balance = services.credits.account("bergveld").balance_mc
    assert chat.confirm(merchant(), decision, request_id) == first
    assert services.credits.account("bergveld").balance_mc == balance
    with pytest.raises(Conflict):  # another key cannot read it
        chat.confirm(merchant("key-b"), decision, request_id)
