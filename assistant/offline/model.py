"""`OfflineChatModel`: a deterministic chat model behind LangChain's `BaseChatModel`, so that the agent loop,
tools, confirmations, streaming and billing run exactly as with Gemini, without a cloud account.

After a user message it decides which skill (tool) the message asks for with a classifier over sentence
embeddings (`classifier.py`), fills the tool's arguments from the slots of the message and the dialogue state
(`slots.py`, `state.py`, `skills.py`), or asks one short question when it is unsure or a detail is missing. After
tool results it writes the answer from those results only (`render.py`; help-centre answers by
`assistant.kb_answers`). It never acts on text inside tool results: only user messages choose tools.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from assistant import tools
from assistant.kb_answers import render_answer
from assistant.normalise import plain
from assistant.offline import render
from assistant.offline.classifier import SkillClassifier
from assistant.offline.examples import EXAMPLES, OUT_OF_SCOPE
from assistant.offline.skills import SKILLS, WRITE_SKILLS, Request, product_phrase
from assistant.offline.slots import ATTRIBUTE_NUMBER, ONE_OF_THEM, Slots, extract
from assistant.offline.state import ASKED, DialogueState, text_of
from domain.resolver import request_word

MODEL_NAME = "fluxori-offline-1"
CAPABILITIES = (
    "I can look up stock per warehouse, low stock, products, orders and sales, import shipments, HS duty rates "
    "and landed costs, your AI credits, and answer questions from the Fluxori help centre. I can also move or "
    "adjust stock, change order statuses, cancel orders and set reorder points once you confirm."
)
SUPPORT_CAPABILITIES = (
    "You are signed in with a support role, which is read-only: I can answer questions from the Fluxori help "
    "centre, but I can't change stock, orders or settings for you. A merchant or admin of the organisation can "
    "make that change."
)
# The message continues the previous request with one new detail.
FOLLOW_UP = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|right|cool|lekker|sharp|great|thanks|nice|now)\b[,.!]?\s*)?"  # "ok, and in Durbs?"
    r"(and|what about|how about|also|same|en|and if|what if|only|just|with|make it|but|plus|for|wat van|wat"
    r" daarvan|hoe lyk)\b",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^\s*(hi|hello|hey|howzit|sawubona|molo|goeie(more|middag)|good (morning|afternoon|evening)|help|thanks|"
    r"thank you|dankie|what can you do)\b",
    re.IGNORECASE,
)
# "How do I ...?": always the help centre when nothing concrete is named.
HOW_DO_I = re.compile(
    r"^\s*(how (do|can|should) (i|we)\b|how to\b|why\b|explain\b|what does .* mean|can i\b|is it possible|"
    r"how (is|are|does|do) .{0,40}\b(calculated|worked out|work|determined|charged|priced)\b|"
    r"where do i\b|what happens\b|hoe (werk|doen|koppel|kan)\b|wat beteken\b)",
    re.IGNORECASE,
)
# Explanations and how-to questions: the help centre, never a change.
HOW_TO = re.compile(
    r"^\s*(how (do|can|should|does|is|are|to)\b|why\b|explain\b|what (is|are) (a|an|the difference)\b|"
    r"what'?s (a|an|the difference)\b|what does .* mean|what happens\b|can i\b|is it possible|where do i\b|"
    r"when (should|does|do)\b|"
    r"hoe (werk|doen|koppel|kan)\b|wat beteken\b)",
    re.IGNORECASE,
)
# A yes/no question about the state of something is a question, not an instruction to change it; so is any
# message ending in "?" that is not a request ("can you ...?", "please ...?").
STATE_QUESTION = re.compile(
    r"^\s*(was|were|has|have|is|are|did|does|do|had)\b|^(?!\s*(can|could|would|will)\s+you\b|\s*(please|pls|kindly)\b)"
    r".*\?\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Instructions to drop the rules, to act on everything at once, or to play another role: answered, never acted on.
OVERRIDE = re.compile(
    r"\b(ignore|disregard|forget|bypass|override|skip|vergeet|ignoreer)\b.{0,40}\b(rules?|instructions?|guidelines|"
    r"polic(y|ies)|safeguards?|confirmations?|the above|previous|prior|reëls|instruksies)\b|\bwithout (asking|"
    r"confirm\w*)\b|\b(every|all|al die)\b(\s+\w+){0,2}\s+(orders?|products?|stock|items?|skus?|bestellings?)\b|"
    r"\beverything\b|\b(system override|developer mode|you are now|act as|pretend (you are|to be)|jailbreak)\b|"
    r"\[system\]|\bconfirmation (step )?(is |are )?disabled\b",
    re.IGNORECASE,
)
CLAUSE = re.compile(r"(?<=[.,;:!?])\s+|\s+[-–—]+\s+")  # "loadshedding again - how do we ...?"


def asks(pattern: re.Pattern[str], text: str) -> bool:
    """Does a clause of the message start with this kind of question ("ran out of quota, when does it reset?")?"""
    return any(pattern.match(clause) for clause in CLAUSE.split(text))


# Tools that take a product
PRODUCT_SKILLS = frozenset(
    s.name
    for s in (
        tools.STOCK_LEVEL,
        tools.FIND_PRODUCTS,
        tools.HS_DUTY_LOOKUP,
        tools.TRANSFER_STOCK,
        tools.ADJUST_STOCK,
        tools.SET_REORDER_POINT,
    )
)
# Results that show products to pick from
LISTS = frozenset(s.name for s in (tools.FIND_PRODUCTS, tools.LOW_STOCK_REPORT, tools.STOCK_LEVEL))
KB = tools.SEARCH_KNOWLEDGE_BASE.name
SURE = 0.35  # below this probability the model asks instead of guessing (calibrated on the dev split)
OFF_TOPIC = 1.4  # "off-topic" only when that many times as likely as the most likely tool


class OfflineChatModel(BaseChatModel):
    """Deterministic: the same conversation always gets the same reply."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    encode: Callable[[list[str]], np.ndarray] = Field(exclude=True)
    count_tokens: Callable[[str], int] = Field(exclude=True)
    tool_names: tuple[str, ...] = ()
    classifier: SkillClassifier | None = Field(default=None, exclude=True)

    def model_post_init(self, __context: Any) -> None:
        if self.classifier is None:
            self.classifier = SkillClassifier(self.encode)

    @property
    def _llm_type(self) -> str:
        return "fluxori-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": MODEL_NAME}

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineChatModel:
        names = tuple(getattr(t, "name", None) or t["name"] for t in tools)
        return self.model_copy(update={"tool_names": names})

    @property
    def _read_only(self) -> bool:
        return not WRITE_SKILLS & set(self.tool_names)

    # The reply ---------------------------------------------------------------------------------------------
    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        if isinstance(messages[-1], ToolMessage):
            return AIMessage(content=self._compose(messages))
        human = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
        if human is None:
            return AIMessage(content=self._capabilities())
        text = plain(text_of(human))
        state = DialogueState.read(messages[: messages.index(human)])
        slots = extract(text)
        skill = self._decide(text, slots, state)
        if skill is None or skill.startswith("!"):
            return AIMessage(content=self._no_tool(skill))
        follow_up = (skill == state.last_tool or state.asked == skill) and _continues(text, state)
        request = Request(text, slots, slots.merged_over(state.slots), state, follow_up)
        args = SKILLS[skill].arguments(request)
        if isinstance(args, str) and skill == state.last_tool and not follow_up:
            # "make the insurance R500": incomplete alone, complete as a change to the previous request
            continued = SKILLS[skill].arguments(Request(text, slots, request.merged, state, True))
            args = args if isinstance(continued, str) else continued
        if isinstance(args, str):
            return AIMessage(content=args, additional_kwargs={ASKED: skill})
        calls = [
            {"name": skill, "args": one, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
            for one in (args if isinstance(args, list) else [args])
        ]
        return AIMessage(content="", tool_calls=calls)

    def _decide(self, text: str, slots: Slots, state: DialogueState) -> str | None:
        """The skill to use, None for a greeting (what I can do), or "!reason" for a reply without a tool."""
        classifier = self.classifier
        assert classifier is not None  # set by model_post_init
        allowed = set(self.tool_names) & set(SKILLS)
        greeting = GREETING.match(text)
        if greeting and len(text[greeting.end() :].split()) <= 3:
            return None  # "howzit bru", "what can you do?"; not "howzit, what's low in Durbs"
        override = bool(OVERRIDE.search(text))
        if override and not (slots.order_number or slots.skus):
            return "!override"  # nothing concrete to look up, only an attempt to change the rules
        if override:
            everything = classifier.predict(text, slots, allowed).ranked
            read = max((p for skill, p in everything if skill not in WRITE_SKILLS | {OUT_OF_SCOPE}), default=0.0)
            if everything[0][0] in WRITE_SKILLS and read < 0.05:
                return "!override"  # only a change, with an attempt to drop the rules: refused as a whole
        if self._read_only:
            ranked = classifier.predict(text, slots, set(SKILLS)).ranked
            if ranked[0][0] in WRITE_SKILLS and not asks(HOW_TO, text):
                return "!read_only"
            if ranked[0][0] == OUT_OF_SCOPE and ranked[0][1] >= 0.5:
                return "!out_of_scope"
            return KB if KB in allowed else "!read_only"
        questioning = bool(asks(HOW_TO, text) or STATE_QUESTION.match(text))
        if override or questioning:
            allowed -= WRITE_SKILLS  # a change needs an instruction, never a question about it
        if (slots.skus or slots.order_number) and not asks(HOW_DO_I, text):
            allowed.discard(KB)  # a SKU or an order named: a question about our data
        if state.last_tool in LISTS and state.products and ONE_OF_THEM.search(text):
            allowed &= PRODUCT_SKILLS  # "the tan one": one of the products just shown
        prediction = classifier.predict(text, slots, allowed)
        ranked = [(skill, p) for skill, p in prediction.ranked if skill in allowed or skill == OUT_OF_SCOPE]
        near_tie = len(ranked) > 1 and ranked[0][1] < OFF_TOPIC * ranked[1][1]
        if ranked[0][0] == OUT_OF_SCOPE and len(ranked) > 1 and (ATTRIBUTE_NUMBER.search(text) or near_tie):
            # a product size ("80 litre", "500 lm", "UK 9") is never off-topic; nor is a near tie with a tool:
            # then which tool, given that it is one of them
            total = sum(p for _, p in ranked[1:]) or 1.0
            ranked = [(skill, p / total) for skill, p in ranked[1:]]
        best, confidence = ranked[0]
        picks = state.choices and state.last_tool in allowed and len(text.split()) <= 6 and not slots.skus
        if picks and (best in {OUT_OF_SCOPE, tools.FIND_PRODUCTS.name, state.last_tool} or confidence < 0.6):
            return state.last_tool  # "the stainless one", "size 2": the pick from the choices just offered
        if asks(HOW_TO, text) and not (slots.skus or slots.order_number or slots.money):
            kb = dict(ranked).get(KB, 0.0)
            if KB in allowed and (kb >= 0.1 or asks(HOW_DO_I, text)):
                return KB
        if best in WRITE_SKILLS and confidence < 0.9 and not _instructs(text, best):
            reads = [(skill, p) for skill, p in ranked if skill not in WRITE_SKILLS]
            total = sum(p for _, p in reads) or 1.0
            ranked = [(skill, p / total) for skill, p in reads]
            best, confidence = ranked[0]
        if state.asked and state.asked in allowed and len(text.split()) <= 8 and best not in WRITE_SKILLS:
            return state.asked  # the answer to the question the model just asked
        if state.last_tool and state.last_tool in allowed and _continues(text, state):
            last = state.last_tool
            if best in WRITE_SKILLS and confidence >= 0.5:
                return best
            if last not in WRITE_SKILLS and (best in (last, OUT_OF_SCOPE) or confidence < 0.85):
                return last
        if best == OUT_OF_SCOPE:
            return "!out_of_scope"
        if confidence < SURE and state.last_tool in [skill for skill, _ in ranked[:2]]:
            return state.last_tool  # unsure, and the conversation's last tool is a candidate: a change to it
        if confidence < SURE:
            return "!unsure:" + ",".join(skill for skill, _ in ranked[:2] if skill != OUT_OF_SCOPE)
        return best

    def _capabilities(self) -> str:
        return SUPPORT_CAPABILITIES if self._read_only else CAPABILITIES

    def _no_tool(self, reason: str | None) -> str:
        if reason is None:
            return "Hello! " + self._capabilities()
        if reason == "!override":
            return "I can't do that: changes need a specific request and your confirmation. " + self._capabilities()
        if reason == "!read_only":
            return SUPPORT_CAPABILITIES
        if reason == "!out_of_scope":
            return "That is outside what I can help with. " + self._capabilities()
        options = [SKILLS[name].label for name in reason.split(":", 1)[1].split(",") if name in SKILLS]
        if len(options) >= 2:
            return f"I'm not sure what you need: do you want {options[0]} or {options[1]}? Tell me a bit more."
        return "I'm not sure what you need. " + self._capabilities()

    # Composing the answer from tool results ---------------------------------------------------------------
    def _compose(self, messages: list[BaseMessage]) -> str:
        human = next(m for m in reversed(messages) if isinstance(m, HumanMessage))
        call_message = next(m for m in reversed(messages) if isinstance(m, AIMessage) and m.tool_calls)
        calls: dict[str | None, Mapping[str, Any]] = {c["id"]: c for c in call_message.tool_calls}
        results = [m for m in messages[messages.index(call_message) + 1 :] if isinstance(m, ToolMessage)]
        question = plain(text_of(human))
        slots = extract(question)
        parts, stocks = [], []
        for result in results:
            call = calls.get(result.tool_call_id, {"name": result.name, "args": {}})
            content = text_of(result)
            if content.startswith("User rejected"):
                parts.append("OK, I did not do that: nothing was changed.")
                continue
            try:
                data = json.loads(content)
            except json.JSONDecodeError:
                parts.append(f"Something went wrong: {content}")
                continue
            if isinstance(data, dict) and data.get("ambiguous"):
                parts.append(render.choices(data))
            elif isinstance(data, dict) and "error" in data:
                verb = "I could not do that" if call["name"] in WRITE_SKILLS else "I could not find that"
                parts.append(f"{verb}: {data['error']}.")
            elif call["name"] == tools.STOCK_LEVEL.name and len(results) > 1:
                stocks.append(data)
            else:
                parts.append(self._render(call["name"], call["args"], data, question, slots))
        if stocks:
            warehouse = _warehouse_of(calls)
            parts.insert(0, render.stock_many(stocks, [warehouse] if warehouse else []))
        return "\n\n".join(parts)

    def _render(self, tool: str, args: dict[str, Any], data: Any, question: str, slots: Slots) -> str:
        if tool == KB:
            return render_answer(data)
        return SKILLS[tool].render(data, args) + _unused_filters(tool, slots)

    # LangChain plumbing -----------------------------------------------------------------------------------
    def _usage(self, messages: list[BaseMessage], reply: AIMessage) -> UsageMetadata:
        prompt = sum(self.count_tokens(text_of(m)) for m in messages)
        output = self.count_tokens(text_of(reply)) + sum(
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
            chunks[0].additional_kwargs = reply.additional_kwargs
        chunks[-1].usage_metadata = usage
        chunks[-1].response_metadata = {"model_name": MODEL_NAME, "finish_reason": "stop"}
        for chunk in chunks:
            if run_manager and chunk.content:
                run_manager.on_llm_new_token(str(chunk.content), chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)


def _instructs(text: str, skill: str) -> bool:
    """Does the message use a word that, among the examples, only requests for a change use ("move", "write off",
    "cancel", "mark"...)? A change needs an instruction, not only a product and a number."""
    return bool(set(_words(text)) & ACTION_WORDS[skill])


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _action_words() -> dict[str, set[str]]:
    """Per write skill: the words of its examples that no example of a data question uses (learnt from the
    examples, so a new phrasing in the examples teaches this too)."""
    questions = {
        w
        for name, examples in EXAMPLES.items()
        if name not in WRITE_SKILLS and name not in (KB, OUT_OF_SCOPE)
        for example in examples
        for w in _words(example)
    }
    return {
        name: {w for example in EXAMPLES[name] for w in _words(example) if w not in questions and len(w) > 1}
        for name in WRITE_SKILLS
    }


ACTION_WORDS = _action_words()


def _continues(text: str, state: DialogueState) -> bool:
    """A short message that only changes a detail of the previous request: it says so ("and...", "what about...",
    "same for..."), or it names nothing but a new detail ("Durban pls", "cpt?")."""
    if not state.last_tool or len(text.split()) > 10:
        return False
    return bool(FOLLOW_UP.match(text)) or _only_a_detail(text)


def _only_a_detail(text: str) -> bool:
    slots = extract(text)
    detail = any(
        (slots.warehouses, slots.days, slots.country, slots.money, slots.currency, slots.freight, slots.insurance)
    )
    concrete = slots.skus or slots.order_number or slots.status or slots.channel or slots.hs_code
    words = [w for w in re.findall(r"[\w']+", slots.rest) if not request_word(w)]  # "do it in dollars": a detail
    return bool(detail) and not concrete and len(words) <= 2 and not product_phrase(slots)


def _warehouse_of(calls: Mapping[str | None, Mapping[str, Any]]) -> str | None:
    return next((c["args"].get("warehouse") for c in calls.values() if c["args"].get("warehouse")), None)


def _unused_filters(tool: str, slots: Slots) -> str:
    """Say so when the request names a filter the tool cannot apply, instead of silently ignoring it."""
    notes = []
    if tool == tools.SALES_SUMMARY.name and slots.warehouses:
        notes.append("sales are not split by warehouse: these figures are for all warehouses")
    if tool == tools.SALES_SUMMARY.name and slots.channel:
        notes.append("the summary always shows every channel")
    if tool == tools.LOW_STOCK_REPORT.name and slots.channel:
        notes.append("stock is not held per channel: this is the stock of all channels")
    if tool == tools.FIND_PRODUCTS.name and slots.warehouses:
        notes.append("the available figures are for all warehouses; ask for the stock of one product per warehouse")
    return "".join(f"\n\nNote: {note}." for note in notes)
