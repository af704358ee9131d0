"""Dialogue state for follow-ups, read from the conversation itself: the last tool call and its arguments, the
products, order and warehouse the last results named, the inputs of the last calculation, and the question the
model asked last. The conversation lives in the Firestore checkpoint, so the state survives restarts with it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from assistant.offline.slots import Slots, extract
from assistant.tools import TRANSFER_STOCK

ASKED = "fluxori_asked"  # AIMessage.additional_kwargs key: the skill a question of the model was for


def text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


@dataclass
class DialogueState:
    last_tool: str | None = None
    last_args: dict[str, Any] = field(default_factory=dict)
    args_by_tool: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: list[str] = field(default_factory=list)  # SKUs the last results named
    order_number: int | None = None
    warehouse: str | None = None
    asked: str | None = None  # the skill whose missing detail the model asked for in its last message
    asked_slots: Slots | None = None  # what that request said
    slots: Slots = field(default_factory=Slots)  # what the earlier requests said, newest winning
    choices: bool = False  # the last result offered a choice of products ("Skottel braai" matched several)

    @classmethod
    def read(cls, history: list[BaseMessage]) -> DialogueState:
        state = cls()
        previous_human: Slots | None = None
        for message in history:
            if isinstance(message, HumanMessage):
                previous_human = extract(text_of(message))
                state.slots = previous_human.merged_over(state.slots)
                state.asked = None
            elif isinstance(message, AIMessage) and message.tool_calls:
                state.asked, state._batch, state.choices = None, [], False
                for call in message.tool_calls:
                    state._take_call(call["name"], call["args"])
            elif isinstance(message, AIMessage):
                state.asked = message.additional_kwargs.get(ASKED)
                state.asked_slots = previous_human if state.asked else None
            elif isinstance(message, ToolMessage):
                state._take_result(text_of(message))
        return state

    def _take_call(self, name: str, args: dict[str, Any]) -> None:
        self.last_tool, self.last_args = name, dict(args)
        self.args_by_tool[name] = dict(args)
        if number := args.get("order_number"):
            self.order_number = int(number)
        for key in ("warehouse", "to_warehouse"):
            if args.get(key):
                self.warehouse = str(args[key])
        if name == TRANSFER_STOCK.name and args.get("from_warehouse"):
            self.warehouse = str(args["from_warehouse"])

    def _take_result(self, content: str) -> None:
        """The products a result names become "those"; the results of one step (several calls) add up."""
        try:
            data = json.loads(content)
        except json.JSONDecodeError:
            return
        if not isinstance(data, dict):
            return
        named: list[str] = []
        self.choices = bool(data.get("ambiguous"))
        if isinstance(data.get("choices"), list):  # a name that matched several: the user picks one next
            named = [c["sku"] for c in data["choices"] if isinstance(c, dict) and "sku" in c]
        elif isinstance(data.get("products"), list):
            named = [p["sku"] for p in data["products"] if isinstance(p, dict) and "sku" in p]
        elif isinstance(data.get("lines"), list):
            named = [line["sku"] for line in data["lines"]]
            self.order_number = data.get("number", self.order_number)
        elif data.get("sku"):
            named = [data["sku"]]
        if named:
            self._batch += [sku for sku in named if sku not in self._batch]
            self.products = list(self._batch)

    _batch: list[str] = field(default_factory=list)
