"""The plans as agent tools (issue 24) on the seeded demo data in the Firestore emulator: the reorder plan, the
rebalancing plan and the stockout forecast give the planning service's figures as tables, a SKU without sales
says "no sales in 90 days", and the batch of reorder points is one confirmation, all or nothing, validated when
proposed and again inside the transaction when confirmed (also under a concurrent change)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from langchain.tools import ToolRuntime
from langchain_core.messages import ToolMessage

from app.wiring import Services
from assistant.contracts import ChatRequest, ConfirmRequest
from assistant.offline import render
from assistant.service import ChatService
from assistant.tools import BY_NAME, AgentContext
from assistant.tools.planning import (
    REBALANCE_PLAN,
    REORDER_PLAN,
    SET_REORDER_POINTS,
    STOCKOUT_FORECAST,
    suggestions,
)
from domain.catalog import ReorderPointChange
from domain.errors import Conflict, InvalidInput, NotFound
from tests.assistant.conftest import principal

ORG = "bergveld"
RequestId = Callable[[], str]


def context(services: Services, org: str = ORG) -> AgentContext:
    return AgentContext(org_id=org, actor="test", services=services, searcher=services.searcher)


def run(services: Services, name: str, org: str = ORG, **args: Any) -> tuple[Any, dict[str, Any]]:
    call_id = f"call_{uuid.uuid4().hex[:8]}"
    runtime: ToolRuntime[AgentContext] = ToolRuntime(
        state={},
        context=context(services, org),
        config={},
        stream_writer=lambda _: None,
        tool_call_id=call_id,
        store=None,
    )
    message = BY_NAME[name].tool.invoke(
        {"name": name, "args": {**args, "runtime": runtime}, "id": call_id, "type": "tool_call"}
    )
    assert isinstance(message, ToolMessage)
    return json.loads(str(message.content)), message.artifact


def sold_nowhere(services: Services) -> tuple[str, str]:
    """A (SKU, warehouse) with no sales in the 90 days: the plan says so instead of a rate."""
    inputs = services.planning.inputs(ORG)
    return next(
        (sku, code) for sku in sorted(inputs.items) for code in inputs.codes if (sku, code) not in inputs.forecasts
    )


# The reads --------------------------------------------------------------------------------------------------
def test_the_reorder_plan_is_the_services_plan_as_a_table(services: Services) -> None:
    data, artifact = run(services, REORDER_PLAN.name, weeks=6)
    plan = services.planning.reorder_plan(ORG, weeks=6)
    assert data["weeks"] == 6 and data["count"] == len(plan.rows) > 0
    assert [(r["sku"], r["warehouse"]) for r in data["products"]] == [(r.sku, r.warehouse) for r in plan.rows[:15]]
    first, row = data["products"][0], plan.rows[0]
    assert (first["available"], first["suggested_quantity"], first["suggested_reorder_point"]) == (
        row.available,
        row.suggested_quantity,
        row.suggested_reorder_point,
    )
    assert {c["source"] for c in artifact["citations"]} == {f"product:{r['sku']}" for r in data["products"]}
    answer = render.reorder_plan(data)
    header = "| SKU | Warehouse | Available | Per day | Days of cover | Stockout date | Suggested qty | Suggested "
    assert header + "reorder point |" in answer and "lead time plus 6 weeks" in answer
    assert f"| {first['sku']} | {first['warehouse']} | {first['available']} |" in answer


def test_the_reorder_plan_of_one_warehouse_and_bad_input(services: Services) -> None:
    data, _ = run(services, REORDER_PLAN.name, warehouse="Cape Town")
    assert data["warehouse"] == "CPT" and {r["warehouse"] for r in data["products"]} <= {"CPT"}
    assert "error" in run(services, REORDER_PLAN.name, weeks=0)[0]
    assert "26" in run(services, REORDER_PLAN.name, weeks=40)[0]["error"]
    assert "Atlantis" in run(services, REORDER_PLAN.name, warehouse="Atlantis")[0]["error"]


def test_a_stockout_forecast_per_warehouse(services: Services) -> None:
    sku = services.planning.reorder_plan(ORG).rows[0].sku
    data, artifact = run(services, STOCKOUT_FORECAST.name, product=sku)
    expected = services.planning.stockout_forecast(ORG, sku)
    assert [(r["warehouse"], r["available"]) for r in data["forecast"]] == [
        (r.warehouse, r.available) for r in expected
    ]
    dated = [r for r in data["forecast"] if r["stockout_date"]]
    assert dated and artifact["citations"][0]["source"] == f"product:{sku}"
    answer = render.stockout_forecast(data)
    assert f"({sku})" in answer and "| Warehouse | Available | Per day | Days of cover | Stockout date |" in answer


def test_no_sales_in_90_days_is_said_never_a_made_up_rate(services: Services) -> None:
    sku, code = sold_nowhere(services)
    data, _ = run(services, STOCKOUT_FORECAST.name, product=sku, warehouse=code)
    (row,) = data["forecast"]
    assert (row["per_day"], row["days_of_cover"], row["stockout_date"]) == (0.0, None, None)
    assert row["note"] == "no sales in 90 days"
    answer = render.stockout_forecast(data)
    assert "no sales in 90 days" in answer and "0.0" not in answer
    assert "no product" in run(services, STOCKOUT_FORECAST.name, product="BV-NOPE-9999")[0]["error"]


def test_a_name_that_matches_several_products_asks_which(services: Services) -> None:
    data, _ = run(services, STOCKOUT_FORECAST.name, product="Drakensberg dome tent")
    assert data.get("ambiguous") and len(data["choices"]) > 1


def test_the_rebalancing_plan_even_out_cover_without_a_stockout_at_the_source(services: Services) -> None:
    data, _ = run(services, REBALANCE_PLAN.name)
    plan = services.planning.rebalance_plan(ORG)
    assert data["count"] == len(plan.moves)
    for move in data["moves"]:
        assert move["from"] != move["to"] and move["quantity"] > 0
        assert move["destination_cover_days_after"] > move["destination_cover_days_before"]
        level = services.inventory.level(ORG, move["sku"], move["from"])
        assert move["quantity"] <= level.available  # it can be proposed as the existing stock transfer
    answer = render.rebalance_plan(data)
    assert "days of cover" in answer
    if data["moves"]:
        sku = data["moves"][0]["sku"]
        one, _ = run(services, REBALANCE_PLAN.name, product=sku)
        assert one["sku"] == sku and all(m["sku"] == sku for m in one["moves"])


# The batch write --------------------------------------------------------------------------------------------
def planned_skus(services: Services, count: int, skip: int = 0) -> list[str]:
    """SKUs of the reorder plan that sold somewhere (so they have a suggested reorder point)."""
    plan = services.planning.reorder_plan(ORG)
    skus = list(dict.fromkeys(row.sku for row in plan.rows))
    return skus[skip : skip + count]


def test_the_batch_is_validated_when_proposed_and_described_as_one_card(services: Services) -> None:
    skus = planned_skus(services, 3)
    ctx = context(services)
    args, problem = SET_REORDER_POINTS.check({"changes": [{"product": sku} for sku in skus]}, ctx)
    assert problem is None
    points = suggestions(ctx, skus)
    assert all(points[sku].reorder_point == sum(p for _, p in points[sku].parts) for sku in skus)
    products = services.products.get_many(ORG, skus)
    assert args["changes"] == [
        {
            "product": sku,
            "reorder_point": points[sku].reorder_point,
            "expected": products[sku].reorder_point,
        }
        for sku in skus
    ]
    card = SET_REORDER_POINTS.summary(args, ctx)
    assert card.startswith("Set these 3 reorder points to the suggested values (all or nothing):")
    assert all(f"- {sku} ({products[sku].title}): {products[sku].reorder_point} -> " in card for sku in skus)
    assert SET_REORDER_POINTS.documents(args, None) == [f"product:{sku}" for sku in skus]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ([], "Which reorder points?"),
        ([{"product": "BV-TENT-0001", "reorder_point": 5}, {"product": "BV-NOPE-9999", "reorder_point": 5}], "Line 2"),
        ([{"product": "BV-TENT-0001", "reorder_point": -3}], "cannot be negative"),
        ([{"product": "BV-TENT-0001", "reorder_point": 5}, {"product": "bv-tent-0001", "reorder_point": 6}], "twice"),
        ([{"product": "BV-TENT-0001", "reorder_point": "lots"}], "whole-number"),
    ],
)
def test_a_batch_that_cannot_run_is_refused_before_any_card(
    services: Services, changes: list[dict[str, Any]], says: str
) -> None:
    _, problem = SET_REORDER_POINTS.check({"changes": changes}, context(services))
    assert problem and says in problem


def test_a_sku_without_sales_has_no_suggested_value(services: Services) -> None:
    inputs = services.planning.inputs(ORG)
    unsold = next(sku for sku in sorted(inputs.items) if not any((sku, c) in inputs.forecasts for c in inputs.codes))
    _, problem = SET_REORDER_POINTS.check({"changes": [{"product": unsold}]}, context(services))
    assert problem and "no sales in 90 days" in problem and unsold in problem


def test_the_confirmed_batch_sets_every_line(services: Services) -> None:
    skus = planned_skus(services, 2, skip=3)
    ctx = context(services)
    args, problem = SET_REORDER_POINTS.check({"changes": [{"product": sku} for sku in skus]}, ctx)
    assert problem is None
    data, artifact = run(services, SET_REORDER_POINTS.name, changes=args["changes"])
    assert data["count"] == 2
    after = services.products.get_many(ORG, skus)
    assert [after[c["product"]].reorder_point for c in args["changes"]] == [c["reorder_point"] for c in args["changes"]]
    assert {c["source"] for c in artifact["citations"]} == {f"product:{sku}" for sku in skus}
    assert render.reorder_points_set(data).startswith("Done: 2 reorder points set")


def test_a_change_since_the_proposal_changes_nothing_and_names_the_line(services: Services) -> None:
    skus = planned_skus(services, 3, skip=5)
    ctx = context(services)
    args, _ = SET_REORDER_POINTS.check({"changes": [{"product": sku} for sku in skus]}, ctx)
    before = {sku: p.reorder_point for sku, p in services.products.get_many(ORG, skus).items()}
    # Someone else changes the second line's reorder point between the proposal and the confirmation.
    services.products.set_reorder_point(ORG, skus[1], before[skus[1]] + 7)
    data, _ = run(services, SET_REORDER_POINTS.name, changes=args["changes"])
    assert f"line 2 ({skus[1]})" in data["error"] and "nothing was changed" in data["error"]
    after = {sku: p.reorder_point for sku, p in services.products.get_many(ORG, skus).items()}
    assert after == before | {skus[1]: before[skus[1]] + 7}


def test_the_domain_batch_is_one_transaction(services: Services) -> None:
    products = services.products
    sku_a, sku_b = planned_skus(services, 2, skip=8)
    a, b = products.get(ORG, sku_a).reorder_point, products.get(ORG, sku_b).reorder_point
    with pytest.raises(NotFound, match="line 2"):  # a product gone: nothing is written, not even line 1
        products.set_reorder_points(
            ORG,
            [
                ReorderPointChange(sku=sku_a, reorder_point=a + 1),
                ReorderPointChange(sku="BV-GONE-0001", reorder_point=1),
            ],
        )
    with pytest.raises(InvalidInput, match="negative"):
        products.set_reorder_points(ORG, [ReorderPointChange(sku=sku_a, reorder_point=-1)])
    with pytest.raises(Conflict, match=f"line 1 \\({sku_a}\\)"):
        products.set_reorder_points(ORG, [ReorderPointChange(sku=sku_a, reorder_point=9, expected=a + 100)])
    assert (products.get(ORG, sku_a).reorder_point, products.get(ORG, sku_b).reorder_point) == (a, b)
    changed = products.set_reorder_points(
        ORG,
        [
            ReorderPointChange(sku=sku_a, reorder_point=a + 2, expected=a),
            ReorderPointChange(sku=sku_b, reorder_point=b + 3),
        ],
    )
    assert [p.reorder_point for p in changed] == [a + 2, b + 3]
    # The stock totals the low-stock report reads follow the new points (one indexed query, `shortfall > 0`).
    snap = services.store.col(ORG, "products").document(sku_a).get()
    assert snap.get("shortfall") == a + 2 - snap.get("available_total")


def race(services: Services, batch: list[ReorderPointChange], sku: str, value: int) -> str:
    """The batch and a single reorder-point change started at the same moment: "applied" or "refused"."""
    start, outcome = threading.Barrier(2), {}

    def run_batch() -> None:
        start.wait()
        try:
            services.products.set_reorder_points(ORG, batch)
            outcome["batch"] = "applied"
        except Conflict:
            outcome["batch"] = "refused"

    def run_single() -> None:
        start.wait()
        services.products.set_reorder_point(ORG, sku, value)

    threads = [threading.Thread(target=run_batch), threading.Thread(target=run_single)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome["batch"]


def test_a_concurrent_change_either_wins_before_the_batch_or_lands_after_it(services: Services) -> None:
    """The batch and a single reorder-point change race: the batch applies completely (and the single change
    lands after it), or it is refused completely; never some of its lines."""
    products = services.products
    skus = planned_skus(services, 3, skip=10)
    for attempt in range(4):
        before = {sku: products.get(ORG, sku).reorder_point for sku in skus}
        batch = [ReorderPointChange(sku=s, reorder_point=before[s] + 10, expected=before[s]) for s in skus]
        outcome = race(services, batch, skus[1], before[skus[1]] + 1)
        after = {sku: products.get(ORG, sku).reorder_point for sku in skus}
        if outcome == "applied":
            assert after[skus[0]] == before[skus[0]] + 10 and after[skus[2]] == before[skus[2]] + 10, attempt
            assert after[skus[1]] in (before[skus[1]] + 1, before[skus[1]] + 10)
        else:
            assert after == before | {skus[1]: before[skus[1]] + 1}, attempt


# Through the chat service, as a merchant asks ---------------------------------------------------------------
def test_plan_then_one_confirmation_for_the_batch_all_or_nothing(
    chat: ChatService, services: Services, request_id: RequestId
) -> None:
    plan = chat.chat(principal(), ChatRequest(message="what should I reorder?"), request_id())
    assert [a.tool for a in plan.actions] == [REORDER_PLAN.name]
    assert "| SKU | Warehouse | Available |" in plan.answer
    proposal = chat.chat(
        principal(),
        ChatRequest(message="set these reorder points to the suggested values", conversation_id=plan.conversation_id),
        request_id(),
    )
    pending = proposal.pending_confirmation
    assert pending is not None and [a.tool for a in proposal.actions] == [SET_REORDER_POINTS.name], proposal.answer
    assert "reorder points to the suggested values (all or nothing)" in pending.summary
    lines = proposal.actions[0].args["changes"]
    assert len(lines) > 1 and all({"product", "reorder_point", "expected"} <= set(line) for line in lines)
    # A concurrent change to the last line before the merchant confirms: nothing of the batch is written.
    last = lines[-1]["product"]
    services.products.set_reorder_point(ORG, last, lines[-1]["expected"] + 1)
    before = {line["product"]: services.products.get(ORG, line["product"]).reorder_point for line in lines}
    done = chat.confirm(principal(), ConfirmRequest(confirmation_id=pending.id, approve=True), request_id())
    assert [(a.tool, a.status) for a in done.actions] == [(SET_REORDER_POINTS.name, "refused")]
    assert f"line {len(lines)} ({last})" in done.answer and "nothing was changed" in done.answer
    assert {sku: services.products.get(ORG, sku).reorder_point for sku in before} == before


def test_gemini_and_openai_compatible_models_get_the_plans_as_ordinary_tools() -> None:
    from google.oauth2.credentials import Credentials
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from langchain_google_genai import ChatGoogleGenerativeAI

    specs = [REORDER_PLAN, REBALANCE_PLAN, STOCKOUT_FORECAST, SET_REORDER_POINTS]
    openai = {
        t["function"]["name"]: t["function"]["parameters"] for t in map(convert_to_openai_tool, (s.tool for s in specs))
    }
    assert set(openai) == {s.name for s in specs}
    assert not {"org_id", "org", "runtime"} & {name for params in openai.values() for name in params["properties"]}
    line = openai[SET_REORDER_POINTS.name]["properties"]["changes"]["items"]
    assert line["required"] == ["product"] and {"product", "reorder_point"} <= set(line["properties"])
    gemini = ChatGoogleGenerativeAI(
        model="gemini-2.5-flash",
        vertexai=True,
        project="p",
        base_url="http://127.0.0.1:9",
        credentials=Credentials(token="t"),
    )
    declarations = gemini._format_tools(gemini.bind_tools([s.tool for s in specs]).kwargs["tools"])[0]
    batch = next(d for d in declarations.function_declarations if d.name == SET_REORDER_POINTS.name)
    assert batch.parameters.properties["changes"].items.required == ["product"]


# The offline model's skills --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def offline() -> Any:
    from assistant.models import SentenceEncoder
    from assistant.offline.model import OfflineChatModel
    from assistant.tools import ALL_TOOLS
    from retrieval.embeddings import LocalEmbedder
    from tests.conftest import MINILM

    encoder = SentenceEncoder(LocalEmbedder(MINILM), MINILM.get())
    return OfflineChatModel(encode=encoder.encode, count_tokens=encoder.count_tokens).bind_tools(ALL_TOOLS)


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        ("what should I reorder?", REORDER_PLAN.name, {}),
        ("plan reorders for the next 6 weeks", REORDER_PLAN.name, {"weeks": 6}),
        ("reorder plan for Durbs, 3 weeks of cover", REORDER_PLAN.name, {"weeks": 3, "warehouse": "DBN"}),
        (
            "when will BV-TENT-0001 run out in Cape Town?",
            STOCKOUT_FORECAST.name,
            {"product": "BV-TENT-0001", "warehouse": "CPT"},
        ),
        ("rebalance stock between warehouses", REBALANCE_PLAN.name, {}),
    ],
)
def test_the_offline_model_learns_the_plans(offline: Any, text: str, tool: str, args: dict[str, Any]) -> None:
    from langchain_core.messages import HumanMessage

    reply = offline.invoke([HumanMessage(text)])
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [(tool, args)], reply


def test_the_product_of_a_stockout_question_is_read_without_the_planning_words() -> None:
    from assistant.offline.skills import Request, stockout_args
    from assistant.offline.slots import extract
    from assistant.offline.state import DialogueState

    text = "when will we run out of the tan boots in CPT?"
    args = stockout_args(Request(text, extract(text), extract(text), DialogueState(), False))
    assert isinstance(args, dict) and args["warehouse"] == "CPT"
    assert "tan boots" in args["product"] and "run" not in args["product"] and "when" not in args["product"]


@pytest.mark.parametrize(
    ("text", "changes"),
    [
        # "these 12" counts the lines; the values are the suggested ones (left out, filled in by the check)
        ("set these 12 reorder points to the suggested values", [{"product": "BV-A-0001"}, {"product": "BV-B-0002"}]),
        ("set those reorder points to 20", [{"product": s, "reorder_point": 20} for s in ("BV-A-0001", "BV-B-0002")]),
        (
            "set BV-C-0003 to 12 and BV-D-0004 to 8",
            [{"product": "BV-C-0003", "reorder_point": 12}, {"product": "BV-D-0004", "reorder_point": 8}],
        ),
    ],
)
def test_the_batch_skill_takes_the_products_just_shown(text: str, changes: list[dict[str, Any]]) -> None:
    from assistant.offline.skills import Request, reorder_points_args
    from assistant.offline.slots import extract
    from assistant.offline.state import DialogueState

    state = DialogueState(products=["BV-A-0001", "BV-B-0002", "BV-A-0001"])  # a plan shows a row per warehouse
    assert reorder_points_args(Request(text, extract(text), extract(text), state, False)) == {"changes": changes}


def test_the_batch_skill_asks_when_nothing_was_shown() -> None:
    from assistant.offline.skills import Request, reorder_points_args
    from assistant.offline.slots import extract
    from assistant.offline.state import DialogueState

    text = "set these reorder points to the suggested values"
    question = reorder_points_args(Request(text, extract(text), extract(text), DialogueState(), False))
    assert isinstance(question, str) and "reorder plan" in question
