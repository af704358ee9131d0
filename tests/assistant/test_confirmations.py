"""The confirmation records: their status follows the decision (approve / reject), never the text of a message,
and a stored answer is a typed record. Real ChatService, offline model and Firestore emulator."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from app.wiring import Services
from assistant.confirmations import Confirmation, ConfirmationStatus
from assistant.contracts import ChatRequest, ConfirmRequest
from assistant.service import ChatService
from domain.idempotency import fingerprint
from tests.assistant.conftest import principal

ORG = "bergveld"
RequestId = Callable[[], str]


def record(services: Services, confirmation_id: str) -> Confirmation:
    data = services.store.col(ORG, "confirmations").document(confirmation_id).get().to_dict()
    return Confirmation.model_validate(data | {"id": confirmation_id})


def boot_sku(services: Services, offset: int) -> str:
    boots = sorted(p.sku for p in services.products.list(ORG, category=None) if p.sku.startswith("BV-BOOT"))
    return boots[-1 - offset]  # the last boots: test_conversations takes the first ones


def test_an_approved_change_that_the_tool_refuses_is_approved_and_refused(
    chat: ChatService, services: Services, request_id: RequestId
) -> None:
    sku = boot_sku(services, 0)
    proposal = chat.chat(principal(), ChatRequest(message=f"move 5 {sku} from Johannesburg to Durban"), request_id())
    assert proposal.pending_confirmation is not None, proposal
    pending = proposal.pending_confirmation.id
    # Before the merchant approves, the stock goes (sold elsewhere): the approved transfer is refused by the tool.
    level = services.inventory.level(ORG, sku, "JHB")
    services.inventory.adjust(ORG, sku, "JHB", -level.available, "sold elsewhere")
    assert record(services, pending).status == ConfirmationStatus.pending
    done = chat.confirm(principal(), ConfirmRequest(confirmation_id=pending, approve=True), request_id())
    assert [(a.tool, a.status) for a in done.actions] == [("transfer_stock", "refused")]
    closed = record(services, pending)
    assert (closed.status, closed.decision) == (ConfirmationStatus.approved, "approve") and closed.closed_at
    assert closed.actions[0].tool == "transfer_stock" and closed.actions[0].args["quantity"] == 5


def test_a_rejected_change_is_recorded_as_the_decision(
    chat: ChatService, services: Services, request_id: RequestId
) -> None:
    sku = boot_sku(services, 1)
    proposal = chat.chat(principal(), ChatRequest(message=f"set the reorder point of {sku} to 77"), request_id())
    assert proposal.pending_confirmation is not None
    pending = proposal.pending_confirmation.id
    done = chat.confirm(principal(), ConfirmRequest(confirmation_id=pending, approve=False), request_id())
    assert [(a.tool, a.status) for a in done.actions] == [("set_reorder_point", "rejected")]
    assert (record(services, pending).status, record(services, pending).decision) == (
        ConfirmationStatus.rejected,
        "reject",
    )
    conversation = services.store.col(ORG, "conversations").document(done.conversation_id).get()
    assert conversation.get("pending_confirmation") is None


def test_a_retry_is_answered_from_the_stored_record(chat: ChatService, request_id: RequestId) -> None:
    rid = f"retry-{uuid.uuid4().hex[:12]}"
    request = ChatRequest(message="where is order 1010?")
    first = chat.chat(principal(), request, rid)
    body = fingerprint({"route": "chat", **request.model_dump()})
    assert chat.answers.get(ORG, rid, principal().key_id, body) == first
    assert chat.chat(principal(), ChatRequest(message="where is order 1010?"), rid) == first
