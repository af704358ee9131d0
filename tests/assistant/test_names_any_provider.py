"""Products named, not SKU'd, through a cloud provider: Gemini (a local FAKE of the Vertex AI API, see
test_providers.py) calls the tools with names and nicknames exactly as a merchant typed them; the tools resolve
them with the same catalogue resolver as the offline model, and a write is checked against the data before it is
offered for confirmation."""

from __future__ import annotations

from google.oauth2.credentials import Credentials

from app.wiring import Services
from assistant.contracts import ChatRequest
from assistant.models import build_chat_model
from assistant.service import ChatService
from tests.assistant.conftest import principal
from tests.assistant.test_providers import FakeApi, gemini


def _chat(services: Services, api: FakeApi) -> ChatService:
    settings = services.settings.model_copy(update={"llm_provider": "vertex", "llm_model": "gemini-2.5-flash"})
    model = build_chat_model(settings, base_url=api.url, credentials=Credentials(token="t"))
    return ChatService(settings, services, model=model)


def test_gemini_names_a_product_and_the_tool_resolves_it(services: Services) -> None:
    call = {"functionCall": {"name": "stock_level", "args": {"product": "Lumo headlamp 500lm", "warehouse": "Jozi"}}}
    replies = [gemini([call], 500, 20), gemini([{"text": "Here you go."}], 600, 5)]
    with FakeApi(replies) as api:
        _chat(services, api).chat(principal(), ChatRequest(message="lumo 500 lm in jozi?"), "names-req-1")
    second = api.requests[1][1]
    [result] = [p["functionResponse"] for c in second["contents"] for p in c["parts"] if "functionResponse" in p]
    level = services.inventory.level("bergveld", "BV-LAMP-0003", "JHB")
    assert result["response"]["sku"] == "BV-LAMP-0003"
    assert result["response"]["levels"] == [
        {"warehouse": "JHB", "on_hand": level.on_hand, "reserved": level.reserved, "available": level.available}
    ]


def test_gemini_gets_a_choice_list_for_an_ambiguous_name(services: Services) -> None:
    call = {"functionCall": {"name": "stock_level", "args": {"product": "Kalahari cooler box"}}}
    replies = [gemini([call], 500, 20), gemini([{"text": "Which one?"}], 600, 5)]
    with FakeApi(replies) as api:
        _chat(services, api).chat(principal(), ChatRequest(message="kalahari cooler stock"), "names-req-2")
    second = api.requests[1][1]
    [result] = [p["functionResponse"] for c in second["contents"] for p in c["parts"] if "functionResponse" in p]
    assert result["response"]["ambiguous"] is True
    assert {c["sku"] for c in result["response"]["choices"]} == {f"BV-COOL-000{i}" for i in range(1, 7)}


def test_gemini_write_by_name_is_resolved_before_confirmation(services: Services) -> None:
    args = {"sku": "Lumo Headlamp 350 lm", "from_warehouse": "Joburg", "to_warehouse": "the Mother City", "quantity": 1}
    with FakeApi([gemini([{"functionCall": {"name": "transfer_stock", "args": args}}], 700, 30)]) as api:
        response = _chat(services, api).chat(principal(), ChatRequest(message="move one lumo 350"), "names-req-3")
    assert response.pending_confirmation is not None
    assert response.pending_confirmation.summary.startswith("Move 1 x BV-LAMP-0002 from JHB to CPT")
    [action] = response.actions
    assert action.args == {"sku": "BV-LAMP-0002", "from_warehouse": "JHB", "to_warehouse": "CPT", "quantity": 1}


def test_gemini_write_that_cannot_succeed_is_explained_not_offered(services: Services) -> None:
    empty = next(
        (lvl for lvl in services.inventory.levels_for_sku("bergveld", "BV-JACK-0017") if lvl.available == 0), None
    )
    assert empty is not None, "the demo seed leaves BV-JACK-0017 empty in a warehouse"
    args = {"sku": "BV-JACK-0017", "from_warehouse": empty.warehouse, "to_warehouse": "DBN", "quantity": 2}
    with FakeApi([gemini([{"functionCall": {"name": "transfer_stock", "args": args}}], 700, 30)]) as api:
        response = _chat(services, api).chat(principal(), ChatRequest(message="move 2 jackets"), "names-req-4")
    assert response.pending_confirmation is None
    assert "only 0 available there" in response.answer and empty.warehouse in response.answer
    assert services.inventory.level("bergveld", "BV-JACK-0017", empty.warehouse).available == 0
