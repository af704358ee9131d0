"""Follow-ups with the offline model through the real service: the dialogue state (last products, warehouse,
order, calculation inputs, the question the model asked) is read from the conversation in the Firestore
checkpoint, so a follow-up works after a restart (a new ChatService, model and classifier), and a support user
asking for a change is told the role is read-only."""

from __future__ import annotations

from collections.abc import Callable

from app.wiring import Services
from assistant.contracts import ChatRequest
from assistant.service import ChatService
from domain.orgs import Role
from domain.trade import landed_cost
from tests.assistant.conftest import principal

RequestId = Callable[[], str]


def chat_service(services: Services) -> ChatService:
    """A new service each time: nothing of the conversation is kept in memory between them."""
    return ChatService(services.settings, services, model=services.chat_model)


def say(chat: ChatService, rid: RequestId, message: str, conversation: str | None = None, role: Role = Role.merchant):
    return chat.chat(principal("bergveld", role), ChatRequest(message=message, conversation_id=conversation), rid())


def test_follow_ups_survive_a_restart(services: Services, request_id: RequestId) -> None:
    first = say(
        chat_service(services),
        request_id,
        "how many Kalahari Cooler Box 40 L in Durbs?",
    )
    assert first.actions[0].tool == "stock_level" and first.actions[0].args["warehouse"] == "DBN"
    restarted = ChatService(
        services.settings, services, model=services.chat_model
    )  # nothing in memory: the state comes from the checkpoint
    second = say(restarted, request_id, "en in Kaapstad?", first.conversation_id)
    level = services.inventory.level("bergveld", "BV-COOL-0002", "CPT")
    assert second.actions[0].tool == "stock_level" and second.actions[0].args["warehouse"] == "CPT"
    assert f"{level.available} available" in second.answer and "BV-COOL-0002" in second.answer


def test_the_answer_to_a_question_completes_the_request(services: Services, request_id: RequestId) -> None:
    chat = chat_service(services)
    asked = say(chat, request_id, "landed cost of 100 cooler boxes, FOB USD 1 500, freight R2 000")
    assert not asked.actions and "origin" in asked.answer
    answered = say(
        chat_service(services),
        request_id,
        "from China",
        asked.conversation_id,
    )
    [action] = answered.actions
    assert action.tool == "landed_cost"
    assert {k: action.args[k] for k in ("fob_value", "currency", "origin_country", "freight_zar", "quantity")} == {
        "fob_value": 1500,
        "currency": "USD",
        "origin_country": "CN",
        "freight_zar": 2000,
        "quantity": 100,
    }
    expected = landed_cost(1500, "USD", "3924.90", "CN", freight_zar=2000, quantity=100)
    assert f"{float(expected.landed_cost_zar):,.2f}".replace(",", " ") in answered.answer  # R40 083.50


def test_one_number_of_the_last_calculation_changes(services: Services, request_id: RequestId) -> None:
    chat = chat_service(services)
    first = say(chat, request_id, "landed cost of 200 tents from China, FOB USD 5,000, freight R8 000")
    second = say(chat, request_id, "and with freight of R11 000?", first.conversation_id)
    assert second.actions[0].args | {"freight_zar": 0} == first.actions[0].args | {"freight_zar": 0}
    assert second.actions[0].args["freight_zar"] == 11000


def test_a_message_naming_only_a_new_detail_continues(services: Services, request_id: RequestId) -> None:
    """No "and"/"what about": a bare warehouse after a stock question is that question for another warehouse."""
    chat = chat_service(services)
    first = say(chat, request_id, "SOH BV-TENT-0009 JHB")
    second = say(chat, request_id, "Durban pls", first.conversation_id)
    assert [(a.tool, a.args) for a in second.actions] == [
        ("stock_level", {"product": "BV-TENT-0009", "warehouse": "DBN"})
    ]
    calc = say(chat, request_id, "landed cost 200 headlamps from China, FOB USD 1 400, freight R2 500")
    changed = say(chat, request_id, "change qty to 300", calc.conversation_id)
    assert changed.actions[0].tool == "landed_cost"
    assert changed.actions[0].args == calc.actions[0].args | {"quantity": 300}


def test_those_products(services: Services, request_id: RequestId) -> None:
    chat = chat_service(services)
    listed = say(chat, request_id, "show me the Spitskop torches")
    skus = [c.source.removeprefix("product:") for c in listed.citations]
    those = say(chat, request_id, "how many of those do we have in Durban?", listed.conversation_id)
    assert [a.args["product"] for a in those.actions] == skus
    for sku in skus:
        assert f"{services.inventory.level('bergveld', sku, 'DBN').available} available in DBN" in those.answer


def test_a_currency_alone_changes_the_last_calculation(services: Services, request_id: RequestId) -> None:
    chat = chat_service(services)
    first = say(chat, request_id, "landed cost 200 lanterns from Shenzhen, USD 1 500 FOB, freight R2k")
    second = say(chat, request_id, "same but EUR", first.conversation_id)
    assert second.actions[0].args == first.actions[0].args | {"currency": "EUR"}


def test_the_pick_from_products_just_shown(services: Services, request_id: RequestId) -> None:
    """ "the stainless one" after a name that matched several, "the olive one" after a search: that product."""
    chat = chat_service(services)
    choices = say(chat, request_id, "skottel braai in cpt?")
    assert choices.actions[0].tool == "stock_level" and "BV-BRAAI-0005" in choices.answer
    picked = say(chat, request_id, "the stainless one", choices.conversation_id)
    available = services.inventory.level("bergveld", "BV-BRAAI-0005", "CPT").available
    assert "(BV-BRAAI-0005) in CPT" in picked.answer and f"{available} available" in picked.answer
    listed = say(chat, request_id, "show me the Braai Buddy cooler bags")
    one = say(chat, request_id, "how many of the soft 30 one in durbs?", listed.conversation_id)
    assert one.actions[0].tool == "stock_level"
    assert f"{services.inventory.level('bergveld', 'BV-COOL-0012', 'DBN').available} available" in one.answer


def test_support_is_told_it_is_read_only(services: Services, request_id: RequestId) -> None:
    chat = chat_service(services)
    response = say(chat, request_id, "cancel order 1491 please", role=Role.support)
    assert not response.actions and response.pending_confirmation is None
    assert "read-only" in response.answer and "once you confirm" not in response.answer
