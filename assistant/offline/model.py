"""`OfflineChatModel`: a deterministic chat model behind LangChain's `BaseChatModel`, so that the agent loop,
tools, confirmations, streaming and billing run exactly as with Gemini, without a cloud account.

It reads the conversation the agent gives it. After a user message it picks one tool (intent matching by
embedding similarity plus slot extraction, see `intents.py`/`slots.py`) and its arguments, taking missing
ones from earlier turns ("and in Durban?", "mark it shipped"). After tool results it writes the answer from
those results only (`answers.py`). It never acts on text inside tool results: only user messages choose tools.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from assistant.offline import answers
from assistant.offline.intents import WRITE_INTENTS, IntentClassifier
from assistant.offline.slots import Slots, extract

MODEL_NAME = "fluxori-offline-1"
CAPABILITIES = (
    "I can look up stock per warehouse, low stock, products, orders and sales, import shipments, HS duty rates "
    "and landed costs, your AI credits, and answer questions from the Fluxori help centre. I can also move or "
    "adjust stock, change order statuses, cancel orders and set reorder points once you confirm."
)
STOPWORDS = frozenset(
    """
    a an the of in at on for to from and or is are do does did we our us you your i me my how many much what
    which where when who whose have has hold held stock stocks level levels inventory units unit available
    there any left check show tell please can could would about it its this that per warehouse warehouses
    """.split()
)
FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|also|same for|in|at|for)\b", re.IGNORECASE)


def _text(message: BaseMessage) -> str:
    return (
        message.content
        if isinstance(message.content, str)
        else " ".join(part.get("text", "") for part in message.content if isinstance(part, dict))
    )


class OfflineChatModel(BaseChatModel):
    """Deterministic: the same conversation always gets the same reply."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    encode: Callable[[list[str]], np.ndarray] = Field(exclude=True)
    count_tokens: Callable[[str], int] = Field(exclude=True)
    tool_names: tuple[str, ...] = ()
    classifier: IntentClassifier | None = Field(default=None, exclude=True)

    def model_post_init(self, __context: Any) -> None:
        if self.classifier is None:
            self.classifier = IntentClassifier(self.encode)

    @property
    def _llm_type(self) -> str:
        return "fluxori-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": MODEL_NAME}

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineChatModel:
        names = tuple(getattr(t, "name", None) or t["name"] for t in tools)
        return self.model_copy(update={"tool_names": names})

    # The reply ---------------------------------------------------------------------------------------------
    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        if isinstance(messages[-1], ToolMessage):
            return AIMessage(content=self._compose(messages))
        human = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
        if human is None:
            return AIMessage(content=CAPABILITIES)
        text = _text(human)
        context_tool, context = self._context(messages[:-1])
        slots = extract(text)
        decision = self.classifier.decide(text, slots, set(self.tool_names))
        tool = decision.tool
        if (
            context_tool
            and (
                tool is None or (FOLLOW_UP.match(text) and len(text.split()) <= 7 and context_tool not in WRITE_INTENTS)
            )
            and (slots.warehouses or slots.skus or slots.days or slots.status or slots.channel or slots.order_number)
        ):
            tool = context_tool  # "and in Durban?": the previous question with the new detail
        if tool is None:
            if decision.out_of_scope:
                greeting = "That is outside what I can help with. "
            else:
                greeting = "Hello! " if decision.confidence == 1.0 else "I'm not sure what you need. "
            return AIMessage(content=greeting + CAPABILITIES)
        merged = slots.merged_over(context) if (slots.refers_back or tool == context_tool or context_tool) else slots
        if tool == "landed_cost" and slots.money is None:
            tool = "hs_duty_lookup"  # no value to cost yet: give the rate and say what is missing
        args_or_question = self._arguments(tool, text, slots, merged, context)
        if isinstance(args_or_question, str):
            return AIMessage(content=args_or_question)
        call = {"name": tool, "args": args_or_question, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
        return AIMessage(content="", tool_calls=[call])

    def _context(self, history: list[BaseMessage]) -> tuple[str | None, Slots]:
        """The last tool the conversation used and the concrete things it named, for follow-ups."""
        context = Slots()
        last_tool = None
        for message in history:
            if isinstance(message, HumanMessage):
                context = extract(_text(message)).merged_over(context)
            elif isinstance(message, AIMessage) and message.tool_calls:
                call = message.tool_calls[-1]
                last_tool = call["name"]
                args = call["args"]
                if sku := args.get("sku") or (
                    args.get("product") if re.match(r"^[A-Z]{2}-", str(args.get("product", ""))) else None
                ):
                    context.skus = [sku]
                if number := args.get("order_number"):
                    context.order_number = int(number)
                if warehouse := args.get("warehouse") or args.get("to_warehouse"):
                    context.warehouses = [warehouse]
            elif isinstance(message, ToolMessage):
                try:
                    data = json.loads(_text(message))
                except json.JSONDecodeError:
                    continue
                if isinstance(data, dict) and (sku := data.get("sku")):
                    context.skus = [sku]
        return last_tool, context

    def _arguments(self, tool: str, text: str, slots: Slots, merged: Slots, context: Slots) -> dict[str, Any] | str:
        sku = (slots.skus or merged.skus or [None])[0]
        quantity = slots.quantities[0] if slots.quantities else None
        if tool == "stock_level":
            product = sku if sku and (slots.skus or not self._product_words(text)) else self._product_words(text)
            if not product:
                return "Which product? Give me the SKU (for example BV-TENT-0001) or its name."
            warehouse = slots.warehouses[0] if len(slots.warehouses) == 1 else None
            return {"product": product, "warehouse": warehouse} if warehouse else {"product": product}
        if tool == "find_products":
            return {"query": self._product_words(text) or text}
        if tool in ("low_stock_report", "credits_balance"):
            return {}
        if tool in ("get_order", "cancel_order", "update_order_status"):
            number = slots.order_number or merged.order_number
            if number is None:
                return "Which order? Give me its number, for example 1042."
            if tool == "update_order_status":
                status = slots.status or ("shipped" if re.search(r"collect|dispatch", text, re.I) else None)
                if status is None:
                    return f"Which status should order {number} get: confirmed, picking, shipped or delivered?"
                return {"order_number": number, "status": status}
            return {"order_number": number}
        if tool == "list_orders":
            return {
                k: v for k, v in {"status": slots.status, "channel": slots.channel, "days": slots.days}.items() if v
            }
        if tool == "sales_summary":
            return {"days": slots.days or 30}
        if tool == "list_shipments":
            return {"status": slots.shipment_status} if slots.shipment_status else {}
        if tool == "hs_duty_lookup":
            query = slots.hs_code or re.sub(r"[\d.,$€£%]+", " ", text)
            return {"query": query, "origin_country": slots.country} if slots.country else {"query": query}
        if tool == "landed_cost":
            amount, currency = slots.money
            units = next((q for q in slots.quantities if q != int(amount)), 1)
            each = bool(re.search(r"\b(each|per (unit|piece|item)|a piece|apiece|/unit)\b", text, re.I))
            return {
                "goods": slots.hs_code or re.sub(r"[\d.,$€£%]+", " ", text),
                "fob_value": amount * units if each else amount,
                "currency": currency,
                "origin_country": slots.country or "CN",
                "quantity": units,
            }
        if tool == "search_knowledge_base":
            return {"query": text}
        if tool == "transfer_stock":
            if not sku:
                return "Which product should I move? Give me the SKU."
            if quantity is None:
                return f"How many units of {sku} should I move?"
            to = slots.to_warehouse or (slots.warehouses[-1] if slots.warehouses else None)
            source = slots.from_warehouse or next((w for w in slots.warehouses if w != to), None)
            # "move 20 to Durban" after a question about Cape Town: the warehouse talked about is the source
            source = source or next((w for w in context.warehouses if w != to), None)
            if not to or not source:
                return f"From which warehouse to which (JHB, CPT or DBN) should I move {quantity} x {sku}?"
            return {"sku": sku, "from_warehouse": source, "to_warehouse": to, "quantity": quantity}
        if tool == "adjust_stock":
            warehouse = (slots.warehouses or merged.warehouses or [None])[0]
            if not sku or quantity is None or not warehouse:
                return "To adjust stock I need the SKU, the warehouse and the number of units."
            removing = re.search(r"\b(write|damaged|broken|remove|lost|stolen|down|less|fewer)\b", text, re.I)
            reason = next(
                (w for w in ("damaged", "broken", "lost", "stolen", "found") if w in text.lower()), "count correction"
            )
            return {
                "sku": sku,
                "warehouse": warehouse,
                "quantity": -quantity if removing else quantity,
                "reason": reason,
            }
        if tool == "set_reorder_point":
            if not sku or not slots.quantities:
                return "Which SKU, and what should its reorder point be?"
            return {"sku": sku, "reorder_point": slots.quantities[-1]}
        return {}

    @staticmethod
    def _product_words(text: str) -> str:
        cleaned = re.sub(
            r"\b(?:johannesburg|joburg|jhb|cape\s*town|cpt|durban|dbn|midrand|pinetown)\b", " ", text, flags=re.I
        )
        words = [w for w in re.findall(r"[A-Za-z0-9'-]+", cleaned) if w.lower() not in STOPWORDS and not w.isdigit()]
        return " ".join(words)

    # Composing the answer from tool results ---------------------------------------------------------------
    def _compose(self, messages: list[BaseMessage]) -> str:
        human = next(m for m in reversed(messages) if isinstance(m, HumanMessage))
        call_message = next(m for m in reversed(messages) if isinstance(m, AIMessage) and m.tool_calls)
        calls = {c["id"]: c for c in call_message.tool_calls}
        results = [m for m in messages[messages.index(call_message) + 1 :] if isinstance(m, ToolMessage)]
        parts = []
        for result in results:
            call = calls.get(result.tool_call_id, {"name": result.name, "args": {}})
            content = _text(result)
            if content.startswith("User rejected"):
                parts.append("OK, I did not do that: nothing was changed.")
                continue
            try:
                data = json.loads(content)
            except json.JSONDecodeError:
                parts.append(f"Something went wrong: {content}")
                continue
            if isinstance(data, dict) and "error" in data:
                verb = "I could not do that" if call["name"] in WRITE_INTENTS else "I could not find that"
                parts.append(f"{verb}: {data['error']}.")
                continue
            parts.append(self._render(call["name"], call["args"], data, _text(human)))
        return "\n\n".join(parts)

    def _render(self, tool: str, args: dict[str, Any], data: Any, question: str) -> str:
        if tool == "search_knowledge_base":
            return answers.knowledge_answer(question, data, self.encode)
        if tool == "stock_level":
            return answers.stock_answer(data, extract(question).warehouses)
        renderers = {
            "get_order": answers.order_answer,
            "list_orders": answers.orders_answer,
            "sales_summary": answers.sales_answer,
            "low_stock_report": answers.low_stock_answer,
            "find_products": answers.products_answer,
            "list_shipments": answers.shipments_answer,
            "hs_duty_lookup": answers.duty_answer,
            "landed_cost": answers.landed_cost_answer,
            "credits_balance": answers.credits_answer,
        }
        if tool in renderers:
            return renderers[tool](data)
        return answers.write_answer(tool, data)

    # LangChain plumbing -----------------------------------------------------------------------------------
    def _usage(self, messages: list[BaseMessage], reply: AIMessage) -> UsageMetadata:
        prompt = sum(self.count_tokens(_text(m)) for m in messages)
        output = self.count_tokens(_text(reply)) + sum(
            self.count_tokens(json.dumps(c["args"])) + 4 for c in reply.tool_calls
        )
        return UsageMetadata(input_tokens=prompt, output_tokens=output, total_tokens=prompt + output)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._reply(messages)
        reply.usage_metadata = self._usage(messages, reply)
        reply.response_metadata = {"model_name": MODEL_NAME, "finish_reason": "stop"}
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._reply(messages)
        usage = self._usage(messages, reply)
        if reply.tool_calls:
            chunks = [
                AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        {
                            "name": c["name"],
                            "args": json.dumps(c["args"]),
                            "id": c["id"],
                            "index": i,
                            "type": "tool_call_chunk",
                        }
                        for i, c in enumerate(reply.tool_calls)
                    ],
                )
            ]
        else:
            chunks = [AIMessageChunk(content=piece) for piece in re.findall(r"\S+\s*", str(reply.content))] or [
                AIMessageChunk(content="")
            ]
        chunks[-1].usage_metadata = usage
        chunks[-1].response_metadata = {"model_name": MODEL_NAME, "finish_reason": "stop"}
        for chunk in chunks:
            if run_manager and chunk.content:
                run_manager.on_llm_new_token(str(chunk.content), chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)
