"""Each agent tool against the seeded demo data in Google's Firestore emulator, called as the agent calls it
(a ToolCall with the run context the server sets), so the content, artifact and citations are the real ones."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from langchain.tools import ToolRuntime
from langchain_core.messages import ToolMessage

from app.wiring import Services
from assistant.tools import ALL_TOOLS, BY_NAME, AgentContext
from domain.credits import credits_text
from domain.orders import OrderStatus
from domain.trade import landed_cost

TOOLS = {t.name: t for t in ALL_TOOLS}
ORG = "bergveld"


def run(services: Services, name: str, org: str = ORG, **args: Any) -> tuple[Any, dict]:
    context = AgentContext(org_id=org, actor="test", services=services, searcher=services.searcher)
    call_id = f"call_{uuid.uuid4().hex[:8]}"
    runtime = ToolRuntime(
        state={}, context=context, config={}, stream_writer=lambda _: None, tool_call_id=call_id, store=None
    )
    message = TOOLS[name].invoke(
        {"name": name, "args": {**args, "runtime": runtime}, "id": call_id, "type": "tool_call"}
    )
    assert isinstance(message, ToolMessage)
    return json.loads(message.content), message.artifact


def test_every_tool_is_covered_here() -> None:
    """Here by a test named after the tool, or (the planning tools) in test_planning_tools.py by their spec."""
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    planning = Path(__file__).with_name("test_planning_tools.py").read_text(encoding="utf-8")
    tested |= {name for name in TOOLS if f"{name.upper()}.name" in planning}
    assert set(TOOLS) <= tested, f"tools without a test: {set(TOOLS) - tested}"


def test_stock_level(services: Services) -> None:
    data, artifact = run(services, "stock_level", product="BV-TENT-0001", warehouse="Cape Town")
    level = services.inventory.level(ORG, "BV-TENT-0001", "CPT")
    assert data["levels"] == [
        {"warehouse": "CPT", "on_hand": level.on_hand, "reserved": level.reserved, "available": level.available}
    ]
    assert artifact["citations"][0]["source"] == "product:BV-TENT-0001"
    data, _ = run(services, "stock_level", product="BV-NOPE-9999")
    assert "BV-NOPE-9999" in data["error"]


def test_find_products(services: Services) -> None:
    data, artifact = run(services, "find_products", query="tent")
    assert data["products"] and all("tent" in f"{p['title']} {p['category']}".lower() for p in data["products"])
    assert {c["source"] for c in artifact["citations"]} == {f"product:{p['sku']}" for p in data["products"]}
    plural, _ = run(services, "find_products", query="do we sell headlamps")  # stems: headlamps -> Headlamp
    assert plural["products"] and all(p["sku"].startswith("BV-LAMP-") for p in plural["products"][:3])
    first = plural["products"][0]
    assert first["available"] == sum(level.available for level in services.inventory.levels_for_sku(ORG, first["sku"]))


def test_low_stock_report(services: Services) -> None:
    data, _ = run(services, "low_stock_report")
    expected = services.inventory.low_stock(ORG)
    assert data["count"] == len(expected) > 0
    assert [row["sku"] for row in data["products"]] == [p.sku for p, _ in expected[:15]]
    assert all(row["available"] < row["reorder_point"] for row in data["products"])


def test_get_order(services: Services) -> None:
    order = services.orders.get(ORG, 1042)
    data, artifact = run(services, "get_order", order_number=1042)
    assert data["number"] == 1042 and data["status"] == order.status.value
    assert artifact["citations"][0]["source"] == "order:1042"
    data, _ = run(services, "get_order", order_number=999999)
    assert "999999" in data["error"]


def test_list_orders(services: Services) -> None:
    data, _ = run(services, "list_orders", status="shipped", channel="takealot")
    assert data["orders"]
    assert all(o["status"] == "shipped" and o["channel"] == "Takealot" for o in data["orders"])


def test_sales_summary(services: Services) -> None:
    data, _ = run(services, "sales_summary", days=90)
    assert {row["channel"] for row in data["channels"]} == {"Takealot", "Amazon.co.za", "own web shop"}
    assert sum(row["orders"] for row in data["channels"]) > 100


def test_list_shipments(services: Services) -> None:
    data, _ = run(services, "list_shipments")
    assert len(data["shipments"]) == 10
    at_customs, _ = run(services, "list_shipments", status="at_customs")
    assert all(s["status"] == "at_customs" for s in at_customs["shipments"])


def test_hs_duty_lookup(services: Services) -> None:
    data, _ = run(services, "hs_duty_lookup", query="cotton T-shirts")
    assert (data["hs_code"], data["general_rate_percent"]) == ("6109.10", 45.0)
    data, _ = run(services, "hs_duty_lookup", query="6403.91", origin_country="IT")
    assert data["applied_rate_percent"] == 15.0  # EU-SADC EPA: footwear keeps 15%
    data, _ = run(services, "hs_duty_lookup", query="6109.10", origin_country="DE")
    assert data["applied_rate_percent"] == 0.0


def test_landed_cost(services: Services) -> None:
    data, _ = run(services, "landed_cost", goods="6109.10", fob_value=1000, currency="USD", origin_country="CN")
    expected = landed_cost(1000, "USD", "6109.10", "CN")
    assert float(data["landed_cost_zar"]) == float(expected.landed_cost_zar)
    # SARS: customs value 1000 x 18.20; duty 45%; VAT 15% of (customs value x 1.10 + duty)
    assert float(data["import_vat_zar"]) == pytest.approx(0.15 * (18_200 * 1.10 + 18_200 * 0.45), abs=0.01)
    data, _ = run(services, "landed_cost", goods="6109.10", fob_value=-5, currency="USD", origin_country="CN")
    assert "error" in data


def test_the_landed_cost_answer_writes_rand_like_every_other_answer(services: Services) -> None:
    """Amounts are grouped by a space (R32 921.50), as stock values and sales are; one unit is "1 unit"."""
    from assistant.offline.render import landed_cost as render_landed_cost

    args = {"goods": "6109.10", "currency": "USD", "origin_country": "CN", "freight_zar": 2000, "insurance_zar": 300}
    data, _ = run(services, "landed_cost", fob_value=1000, **args)
    answer = render_landed_cost(data)
    assert "R32 921.50" in answer and "USD 1 000.00 x 18.2" in answer and "," not in answer.replace(", ", "")
    assert "Landed cost of 1 unit under HS 6109.10" in answer


def test_credits_balance(services: Services) -> None:
    data, _ = run(services, "credits_balance")
    assert data["balance"] == credits_text(services.credits.account(ORG).balance_mc)


def test_search_knowledge_base(services: Services, demo_kb: None) -> None:
    data, artifact = run(services, "search_knowledge_base", query="how do I connect my Takealot seller account?")
    assert data["passages"][0]["source"] == "demo:channels/connect-takealot.md"
    assert artifact["citations"][0]["source"] == "demo:channels/connect-takealot.md"
    assert "Takealot" in artifact["citations"][0]["title"]
    data, _ = run(services, "search_knowledge_base", org="fynbos", query="how do I connect my Takealot seller account?")
    assert data["passages"] == []  # the help centre was indexed for bergveld only: nothing crosses over


def test_knowledge_answers_quote_the_steps_and_cite_what_they_quote(services: Services, demo_kb: None) -> None:
    """Through the chat service (offline model): `[n]` markers number exactly the returned citations, the how-to
    section is quoted whole, and the internal recovery procedure reaches support staff only."""
    import re

    from assistant.contracts import ChatRequest
    from assistant.service import ChatService
    from domain.orgs import Role
    from tests.assistant.conftest import principal

    chat = ChatService(services.settings, services, model=services.chat_model, searcher=services.searcher)

    def ask(message: str, role: Role):
        return chat.chat(principal("bergveld", role), ChatRequest(message=message), f"req-{uuid.uuid4().hex[:16]}")

    response = ask("How do I connect my Takealot seller account?", Role.support)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", response.answer)}
    assert response.citations and markers == set(range(1, len(response.citations) + 1))
    first = response.citations[0]
    assert first.doc_id == "demo:channels/connect-takealot.md" and first.heading_path[:1] != [first.title]
    assert response.answer.index("1. Sign in to the Takealot Seller Portal") < response.answer.index("4. Copy the key")

    question = "How do I recover an account when the owner lost every admin API key?"
    staff = ask(question, Role.support)
    assert any(c.doc_id == "demo:support/account-recovery-procedure.md" for c in staff.citations)
    merchant = ask(question, Role.merchant)
    assert all("account-recovery" not in c.doc_id for c in merchant.citations)
    assert "registered for the organisation" not in merchant.answer


# Write tools run only after a confirmation (see test_confirmations.py); called directly they do the write.


def test_adjust_stock(services: Services) -> None:
    before = services.inventory.level(ORG, "BV-TENT-0002", "JHB").on_hand
    data, _ = run(services, "adjust_stock", sku="BV-TENT-0002", warehouse="JHB", quantity=-2, reason="damaged")
    assert services.inventory.level(ORG, "BV-TENT-0002", "JHB").on_hand == before - 2
    assert data["on_hand"] == before - 2


def test_transfer_stock(services: Services) -> None:
    jhb, dbn = (services.inventory.level(ORG, "BV-TENT-0003", w).available for w in ("JHB", "DBN"))
    run(services, "transfer_stock", sku="BV-TENT-0003", from_warehouse="JHB", to_warehouse="Durban", quantity=3)
    assert services.inventory.level(ORG, "BV-TENT-0003", "JHB").available == jhb - 3
    assert services.inventory.level(ORG, "BV-TENT-0003", "DBN").available == dbn + 3
    data, _ = run(
        services, "transfer_stock", sku="BV-TENT-0003", from_warehouse="JHB", to_warehouse="DBN", quantity=10_000
    )
    assert "error" in data and services.inventory.level(ORG, "BV-TENT-0003", "JHB").available == jhb - 3


def test_update_order_status(services: Services) -> None:
    order = services.orders.list(ORG, status=OrderStatus.picking, limit=1)[0]
    run(services, "update_order_status", order_number=order.number, status="shipped")
    assert services.orders.get(ORG, order.number).status == OrderStatus.shipped
    data, _ = run(services, "update_order_status", order_number=order.number, status="pending")
    assert "error" in data  # shipped -> pending is not a legal step


def test_cancel_order(services: Services) -> None:
    order = services.orders.list(ORG, status=OrderStatus.confirmed, limit=1)[0]
    run(services, "cancel_order", order_number=order.number)
    assert services.orders.get(ORG, order.number).status == OrderStatus.cancelled


def test_set_reorder_point(services: Services) -> None:
    run(services, "set_reorder_point", sku="BV-TENT-0004", reorder_point=77)
    assert services.products.get(ORG, "BV-TENT-0004").reorder_point == 77


def test_tools_see_only_their_organisation(services: Services) -> None:
    data, _ = run(services, "stock_level", org="fynbos", product="BV-TENT-0001")
    assert "error" in data
    data, _ = run(services, "find_products", org="fynbos", query="tent")
    assert not any(p["sku"].startswith("BV-") for p in data["products"])


def test_describe_write_states_the_change(services: Services) -> None:
    context = AgentContext(org_id=ORG, actor="test", services=services)
    level = services.inventory.level(ORG, "BV-TENT-0005", "CPT")
    text = BY_NAME["transfer_stock"].summary(
        {"sku": "BV-TENT-0005", "from_warehouse": "CPT", "to_warehouse": "DBN", "quantity": 4},
        context,
    )
    assert text == f"Move 4 x BV-TENT-0005 from CPT to DBN ({level.available} available in CPT now)."


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_no_tool_takes_an_organisation_argument(name: str) -> None:
    assert not {"org", "org_id", "organisation", "organization"} & set(TOOLS[name].args)


# Products named, not SKU'd; filters; validated proposals -------------------------------------------------------


def test_stock_level_by_name_with_attributes(services: Services) -> None:
    data, artifact = run(services, "stock_level", product="Lumo headlamp 500 lm", warehouse="Egoli")
    level = services.inventory.level(ORG, "BV-LAMP-0003", "JHB")
    assert data["sku"] == "BV-LAMP-0003" and data["levels"][0]["available"] == level.available
    assert artifact["citations"][0]["source"] == "product:BV-LAMP-0003"
    several, _ = run(services, "stock_level", product="Kalahari cooler boxes", warehouse="DBN")
    assert several["ambiguous"] and {c["sku"] for c in several["choices"]} == {f"BV-COOL-000{i}" for i in range(1, 7)}
    none, _ = run(services, "stock_level", product="Lumo headlamp 650 lm")
    assert "no product matching" in none["error"] and "levels" not in none


def test_messages_quote_the_product_words_not_the_whole_request(services: Services) -> None:
    none, _ = run(services, "stock_level", product="how much stock of the camping chairs in ?", warehouse="CPT")
    assert "'camping chairs'" in none["error"] and "how much" not in none["error"]
    several, _ = run(services, "stock_level", product="do we have any Kalahari cooler boxes in")
    assert several["query"] == "Kalahari cooler boxes" and "'Kalahari cooler boxes'" in several["error"]


def test_a_code_in_another_style_is_looked_up_as_a_sku(services: Services) -> None:
    """ "SKU-123" is not this catalogue's style: the answer says no product has that SKU, not "Which product?"."""
    none, _ = run(services, "stock_level", product="SKU-123", warehouse="CPT")
    assert none["error"] == "there is no product with SKU 'SKU-123'"


def test_low_stock_report_by_warehouse(services: Services) -> None:
    data, _ = run(services, "low_stock_report", warehouse="Durbs")
    assert data["warehouse"] == "DBN"
    here = [row["available_DBN"] for row in data["products"]]
    for row in data["products"][:3]:
        assert row["available_DBN"] == services.inventory.level(ORG, row["sku"], "DBN").available
    assert [a - r["reorder_point"] for a, r in zip(here, data["products"], strict=True)] == sorted(
        a - r["reorder_point"] for a, r in zip(here, data["products"], strict=True)
    )
    unknown, _ = run(services, "low_stock_report", warehouse="Bloemfontein")
    assert "no warehouse" in unknown["error"]


def test_landed_cost_with_freight_insurance_and_currency(services: Services) -> None:
    args = {"goods": "headlamps", "fob_value": 2400, "currency": "USD", "quantity": 300}
    missing, _ = run(services, "landed_cost", **args)
    assert "origin" in missing["error"]
    data, _ = run(services, "landed_cost", **args, origin_country="CN", freight_zar=4000, insurance_zar=350)
    expected = landed_cost(2400, "USD", "8513.10", "CN", freight_zar=4000, insurance_zar=350, quantity=300)
    assert float(data["landed_cost_zar"]) == float(expected.landed_cost_zar)
    in_usd, _ = run(services, "landed_cost", **args, origin_country="CN", freight_zar=200, freight_currency="USD")
    assert float(in_usd["freight_zar"]) == 200 * 18.20


def test_filters_are_applied_or_refused(services: Services) -> None:
    orders, _ = run(services, "list_orders", warehouse="Kaapstad", limit=40)
    assert orders["orders"] and {o["warehouse"] for o in orders["orders"]} == {"CPT"}
    assert "at most 25" in orders["notes"][0]
    shipments, _ = run(services, "list_shipments", origin_country="IT")
    assert shipments["shipments"] and {s["origin_country"] for s in shipments["shipments"]} == {"IT"}
    products, _ = run(services, "find_products", query="tent", category="hammocks")
    assert "no category 'hammocks'" in products["notes"][0]


def test_validate_write_checks_the_data_before_a_confirmation(services: Services) -> None:
    context = AgentContext(org_id=ORG, actor="test", services=services)
    args, problem = BY_NAME["transfer_stock"].check(
        {"sku": "Lumo Headlamp 350 lm", "from_warehouse": "Joburg", "to_warehouse": "the Mother City", "quantity": 1},
        context,
    )
    assert problem is None and args == {
        "sku": "BV-LAMP-0002",
        "from_warehouse": "JHB",
        "to_warehouse": "CPT",
        "quantity": 1,
    }
    source = services.inventory.level(ORG, "BV-TENT-0005", "CPT")
    _, problem = BY_NAME["transfer_stock"].check(
        {"sku": "BV-TENT-0005", "from_warehouse": "CPT", "to_warehouse": "JHB", "quantity": source.available + 1},
        context,
    )
    assert problem and f"only {source.available} available" in problem
    pending = next(o for o in services.orders.list(ORG, status="pending", limit=5))
    _, problem = BY_NAME["update_order_status"].check({"order_number": pending.number, "status": "delivered"}, context)
    assert problem and "pending" in problem and "allowed next: cancelled, confirmed" in problem
    _, problem = BY_NAME["set_reorder_point"].check({"sku": "Kalahari cooler box", "reorder_point": 5}, context)
    assert problem and "several products" in problem and "BV-COOL-0001" in problem


def test_duty_and_landed_cost_of_a_product_named_from_the_catalogue(services: Services) -> None:
    duty, _ = run(services, "hs_duty_lookup", org="fynbos", query="Kaapse Son SPF 50 200ml", origin_country="FR")
    assert duty["hs_code"] == services.products.get("fynbos", "FG-SUN-0003").hs_code
    cost, _ = run(
        services, "landed_cost", org="fynbos", goods="FG-SUN-0003", fob_value=500, currency="EUR", origin_country="FR"
    )
    assert cost["hs_code"] == duty["hs_code"]
