"""Which tool a request asks for: embedding similarity to each tool's example requests, then rules that use
the extracted slots. Write tools are chosen only when the request says to change something."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from assistant.offline.slots import Slots

EXAMPLES: dict[str, list[str]] = {
    "stock_level": [
        "how many BV-TENT-0001 do we hold in Cape Town",
        "what stock do we have of the headlamp",
        "how much inventory of this SKU is in Johannesburg",
        "units on hand for FG-SERUM-0002",
        "is the Karoo tunnel tent in stock",
        "stock levels per warehouse for the sleeping bag",
        "do we have any left in Durban",
        "check availability of the rain jacket",
        "how many are available",
    ],
    "low_stock_report": [
        "what is running low",
        "which products are below their reorder point",
        "low stock report",
        "what should we reorder",
        "items that need restocking",
        "are we about to run out of anything",
        "show me products with low inventory",
    ],
    "find_products": [
        "do we sell headlamps",
        "find products for camping",
        "show me our sunscreen products",
        "what serums do we have",
        "list our tents",
        "search the catalogue for cooler boxes",
        "what is the price of the rooibos lip balm",
        "which backpacks do we stock",
    ],
    "get_order": [
        "where is order 1042",
        "what is the status of order 1042",
        "track order 1100",
        "what's in order 1077",
        "has order 1042 shipped yet",
        "tell me about order number 1200",
        "who ordered 1300 and what did they buy",
    ],
    "list_orders": [
        "show pending orders",
        "list takealot orders from this week",
        "which orders are being picked",
        "orders from amazon in the last 7 days",
        "what orders came in today",
        "show me the cancelled orders",
        "open orders on the web shop",
    ],
    "sales_summary": [
        "how are sales this month",
        "sales for the last 7 days",
        "revenue by channel for the last 30 days",
        "how much did we sell on takealot",
        "sales summary",
        "what was our turnover last week",
        "which channel sells the most",
        "sales report",
    ],
    "list_shipments": [
        "where are my imports",
        "which shipments are at customs",
        "incoming containers from China",
        "status of our import shipments",
        "when does the next shipment arrive",
        "what is stuck in clearance",
    ],
    "hs_duty_lookup": [
        "what is the duty rate for cotton t-shirts",
        "HS code for leather handbags",
        "duty on 6109.10",
        "tariff for sunscreen",
        "which HS code do headlamps fall under",
        "customs duty percentage for tents",
    ],
    "landed_cost": [
        "what duty do I pay on 200 cotton T-shirts from China at USD 3.50 each",
        "landed cost of 500 headlamps at USD 4 FOB from Shenzhen",
        "calculate the import cost of a shipment",
        "how much will it cost to import 300 serums from France worth EUR 2000",
        "total cost including duty and VAT for boots from Italy",
    ],
    "credits_balance": [
        "how many credits do I have",
        "what is my AI credit balance",
        "how much of the daily quota is used",
        "credits left",
        "how much have we spent on the assistant today",
    ],
    "search_knowledge_base": [
        "how do I connect Takealot",
        "what is an incoterm",
        "how do returns work",
        "explain import VAT",
        "tips for load shedding",
        "how do I register as an importer with SARS",
        "what does FOB mean",
        "how do stock transfers work",
        "what is a clearing agent",
        "how are AI credits charged",
        "how do I set up Amazon FBA",
        "what fees does takealot charge",
    ],
    "transfer_stock": [
        "move 20 to Durban",
        "transfer 5 units of BV-TENT-0001 from JHB to CPT",
        "send 10 headlamps to Cape Town",
        "shift stock from Johannesburg to Durban",
        "relocate 15 units to the Cape Town warehouse",
    ],
    "adjust_stock": [
        "write off 3 damaged tents in Durban",
        "adjust stock of FG-SERUM-0001 in CPT down by 2",
        "we found 5 more in Johannesburg",
        "remove 4 broken units from stock",
        "add 12 units after the stock count",
    ],
    "set_reorder_point": [
        "set the reorder point of BV-LAMP-0003 to 20",
        "change the reorder level to 15",
        "alert me when the serum drops below 30",
        "raise the reorder point for the tent",
    ],
    "update_order_status": [
        "mark it shipped",
        "set order 1042 to confirmed",
        "order 1042 has been delivered",
        "move order 1100 to picking",
        "mark order 1200 as delivered",
        "the courier collected order 1042",
    ],
    "cancel_order": [
        "cancel order 1042",
        "the customer wants to cancel their order",
        "cancel it",
        "please void order 1100",
    ],
}
# Requests that are none of the tools' business: matched like a tool, answered with what the assistant can do.
OUT_OF_SCOPE = "_out_of_scope"
EXAMPLES[OUT_OF_SCOPE] = [
    "book me a flight to Johannesburg",
    "what will the weather be tomorrow",
    "tell me a joke",
    "write a poem about the sea",
    "who won the rugby on Saturday",
    "recommend a good restaurant",
    "translate this into Afrikaans",
    "what is the capital of France",
]
WRITE_INTENTS = ("transfer_stock", "adjust_stock", "set_reorder_point", "update_order_status", "cancel_order")
WRITE_VERBS = {
    "transfer_stock": r"\b(move|transfer|shift|send|relocate|ship stock)\b",
    "adjust_stock": r"\b(write[- ]?off|write [0-9]+ off|adjust|damaged|broken|found|count correction|add|remove|"
    r"lost|stolen)\b",
    "set_reorder_point": r"\b(set|change|make|update|raise|lower|put)\b.*\breorder\b|\breorder (point|level)\b.*\bto\b|"
    r"\balert me when\b",
    "update_order_status": r"\b(mark|set|move|update|change|flag)\b|\b(has been|was|got|is now)\s+"
    r"(shipped|delivered|confirmed|picked|returned)\b|\bcollected\b",
    "cancel_order": r"\b(cancel|void)\b",
}
HOW_TO = re.compile(
    r"^\s*(how (do|can|should|does|to)|what (is|are|does)|why|explain|tell me about|can i|"
    r"is it possible|where do i|when should)\b",
    re.IGNORECASE,
)
# Instructions to drop the rules or change everything at once: such a message may be answered, never acted on.
OVERRIDE = re.compile(
    r"\b(ignore|disregard|forget|bypass|override)\b.{0,40}\b(rules?|instructions?|guidelines|policy|policies|"
    r"safeguards?|confirmation)\b|\bwithout (asking|confirm\w*)\b|\b(every|all)( of the| the| our)? "
    r"(orders?|products?|stock|items?)\b",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^\s*(hi|hello|hey|howzit|sawubona|good (morning|afternoon|evening)|help|what can you do)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Decision:
    tool: str | None
    confidence: float
    out_of_scope: bool = False


class IntentClassifier:
    def __init__(self, encode) -> None:  # encode: list[str] -> np.ndarray of unit vectors
        self._encode = encode
        self._lock = threading.Lock()
        self._matrix: np.ndarray | None = None
        self._labels: list[str] = []

    def _index(self) -> tuple[np.ndarray, list[str]]:
        with self._lock:
            if self._matrix is None:
                labels = [tool for tool, examples in EXAMPLES.items() for _ in examples]
                texts = [text for examples in EXAMPLES.values() for text in examples]
                self._matrix, self._labels = np.asarray(self._encode(texts)), labels
        return self._matrix, self._labels

    def scores(self, text: str) -> dict[str, float]:
        matrix, labels = self._index()
        similarities = matrix @ np.asarray(self._encode([text]))[0]
        best: dict[str, float] = {}
        for label, score in zip(labels, similarities, strict=True):
            best[label] = max(best.get(label, -1.0), float(score))
        return best

    def decide(self, text: str, slots: Slots, allowed: set[str]) -> Decision:
        if GREETING.match(text) and len(text.split()) <= 6:
            return Decision(None, 1.0)
        if OVERRIDE.search(text) and not (slots.order_number or slots.skus):
            return Decision(None, 0.0)  # nothing concrete to look up, only an attempt to change the rules
        scores = {tool: score for tool, score in self.scores(text).items() if tool in allowed or tool == OUT_OF_SCOPE}
        if len(scores) <= 1:
            return Decision(None, 0.0)
        # Concrete identifiers make the data tools likelier than the help centre.
        if slots.order_number is not None:
            for tool in ("get_order", "update_order_status", "cancel_order"):
                scores[tool] = scores.get(tool, -1) + 0.15
        if slots.skus:
            for tool in ("stock_level", "transfer_stock", "adjust_stock", "set_reorder_point"):
                scores[tool] = scores.get(tool, -1) + 0.08
        if slots.money is not None:
            scores["landed_cost"] = scores.get("landed_cost", -1) + 0.2
        if slots.hs_code is not None:
            scores["hs_duty_lookup"] = scores.get("hs_duty_lookup", -1) + 0.1
        how_to = bool(HOW_TO.match(text)) and not (slots.skus or slots.order_number or slots.money)
        for tool in WRITE_INTENTS:
            if tool not in scores:
                continue
            if how_to or OVERRIDE.search(text) or not re.search(WRITE_VERBS[tool], text, re.IGNORECASE):
                del scores[tool]  # a write needs an explicit instruction, never a question about it
            else:
                scores[tool] += 0.1
        tool, confidence = max(scores.items(), key=lambda item: item[1])
        if tool == OUT_OF_SCOPE:
            return Decision(None, confidence, out_of_scope=True)
        if how_to and "search_knowledge_base" in scores and confidence < 0.75:
            return Decision("search_knowledge_base", scores["search_knowledge_base"])  # "how do I ...": the help centre
        if confidence < 0.42:
            if "?" in text or HOW_TO.match(text):
                return Decision("search_knowledge_base" if "search_knowledge_base" in allowed else None, confidence)
            return Decision(None, confidence)
        return Decision(tool, confidence)
