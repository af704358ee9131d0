"""The assistant service: one conversation turn, charged to the organisation's credits.

Per turn: refuse early when credits or quota are short (reserve), run the agent, settle the actual usage (or
refund on failure), and remember the response under the request id so that a retried request is answered
again without running or charging twice. Write tools pause the agent (human-in-the-loop interrupt); the pause
is stored as a confirmation that only the same organisation can approve or reject before it expires.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langgraph.types import Command

from assistant.agent import build_agent
from assistant.application.policy import Capability, audiences_for, check, kb_only
from assistant.checkpointer import NEW_THREAD, FirestoreSaver, thread_id_for
from assistant.confirmations import Answers, Confirmation, Confirmations, ProposedAction
from assistant.contracts import (
    Action,
    ChatRequest,
    ChatResponse,
    Citation,
    ConfirmRequest,
    PendingConfirmation,
    StreamEvent,
    Usage,
)
from assistant.ports import ChatServices
from assistant.pricing import as_credits, load_prices
from assistant.settings import Settings
from assistant.tools import ALL_TOOLS, WRITE_TOOLS, AgentContext, search_knowledge_base
from domain.credits import Reservation
from domain.errors import Conflict, InvalidInput
from domain.idempotency import fingerprint
from domain.orgs import Principal
from retrieval.types import SearchService

log = logging.getLogger(__name__)
# The conversation is saved when a turn ends (answer or pending confirmation), not after every step: one Firestore
# write per turn instead of one per model and tool step. A turn that dies half-way is refunded and leaves the
# conversation as it was before the turn, which is what a retry needs anyway.
DURABILITY = "exit"


class ChatService:
    def __init__(
        self,
        settings: Settings,
        services: ChatServices,
        *,
        model: BaseChatModel,
        searcher: SearchService | None = None,
    ) -> None:
        self.settings = settings
        self.services = services
        self.searcher = searcher
        self.model = model
        self.prices = load_prices(settings.prices_file)
        self.price = self.prices.model_price(settings.llm_provider, settings.llm_model)
        self.confirmations = Confirmations(services.store, settings.confirmation_ttl_seconds)
        self.answers = Answers(services.store)
        saver = FirestoreSaver(services.store)
        self._agents = {
            "operator": build_agent(self.model, ALL_TOOLS, saver),
            "support": build_agent(self.model, [search_knowledge_base], saver),  # read-only knowledge answers
        }

    # Public API (assistant.contracts.AssistantService) ---------------------------------------------------
    def chat(self, principal: Principal, request: ChatRequest, request_id: str) -> ChatResponse:
        return self._final(self.stream(principal, request, request_id, tokens=False))

    def confirm(self, principal: Principal, request: ConfirmRequest, request_id: str) -> ChatResponse:
        return self._final(self.stream_confirm(principal, request, request_id, tokens=False))

    def stream(
        self, principal: Principal, request: ChatRequest, request_id: str, *, tokens: bool = True
    ) -> Iterator[StreamEvent]:
        """The turn's events; `tokens=False` leaves out the answer's `token` events (nobody reads them: the model
        is then called without streaming, which costs less CPU)."""
        check(principal, Capability.chat)
        if len(request.message) > self.settings.max_message_chars:
            raise InvalidInput(
                f"the message has {len(request.message)} characters; the limit is {self.settings.max_message_chars}"
            )
        body = fingerprint({"route": "chat", **request.model_dump()})
        if request.conversation_id:
            return self._turn(
                principal, request.conversation_id, HumanMessage(request.message), request_id, body, tokens=tokens
            )
        return self._turn(
            principal,
            uuid.uuid4().hex,
            HumanMessage(request.message),
            request_id,
            body,
            new_conversation=True,
            tokens=tokens,
        )

    def stream_confirm(
        self, principal: Principal, request: ConfirmRequest, request_id: str, *, tokens: bool = True
    ) -> Iterator[StreamEvent]:
        check(principal, Capability.confirm)
        body = fingerprint({"route": "confirm", **request.model_dump()})
        stored = self.answers.get(principal.org_id, request_id, principal.key_id, body)
        if stored is not None:  # a retry of a confirmation that ran: its first answer
            return iter([StreamEvent(event="final", data=stored.model_dump(mode="json"))])
        record = self.confirmations.claim(
            principal.org_id, request.confirmation_id, "approve" if request.approve else "reject", request_id
        )
        decision = {"type": "approve"} if request.approve else {"type": "reject", "message": "the user declined"}
        try:
            return self._turn(
                principal,
                record.conversation_id,
                Command(resume={"decisions": [decision]}),
                request_id,
                body,
                confirmation=record,
                tokens=tokens,
            )
        except Exception:  # refused before the run (credits, quota): nothing ran, so it can be decided again
            self.confirmations.release(principal.org_id, request.confirmation_id)
            raise

    # One turn ---------------------------------------------------------------------------------------------
    def _turn(
        self,
        principal: Principal,
        conversation_id: str,
        payload: Any,
        request_id: str,
        body: str,
        confirmation: Confirmation | None = None,
        new_conversation: bool = False,
        tokens: bool = True,
    ) -> Iterator[StreamEvent]:
        """Refusals (credits, quota) happen here, before anything streams; the run itself is the iterator.
        `body` is the request's fingerprint: a stored answer is bound to it and to the key."""
        org = principal.org_id
        if not self.services.credits.reserve(org, request_id, self.prices.reservation_mc(self.price)).fresh:
            stored = self.answers.get(org, request_id, principal.key_id, body)
            if stored is not None:  # a retried request: the same answer, no second run and no second charge
                return iter([StreamEvent(event="final", data=stored.model_dump(mode="json"))])
            raise Conflict(
                f"request {request_id!r} is already being answered; retry later with the same request id "
                "to get its answer"
            )
        return self._run(principal, conversation_id, payload, request_id, body, confirmation, new_conversation, tokens)

    def _run(
        self,
        principal: Principal,
        conversation_id: str,
        payload: Any,
        request_id: str,
        body: str,
        confirmation: Confirmation | None,
        new_conversation: bool,
        tokens: bool,
    ) -> Iterator[StreamEvent]:
        org, credits = principal.org_id, self.services.credits
        context = AgentContext(
            org_id=org,
            actor=principal.label or principal.key_id[:12],
            services=self.services,
            searcher=self.searcher,
            audiences=audiences_for(principal.role),
        )
        usage = UsageMetadataCallbackHandler()
        configurable = {"thread_id": thread_id_for(org, conversation_id), NEW_THREAD: new_conversation}
        config = {"configurable": configurable, "callbacks": [usage]}
        agent = self._agents["support" if kb_only(principal.role) else "operator"]
        try:
            if isinstance(payload, HumanMessage):
                if not new_conversation:  # nothing can be pending in a conversation that starts now
                    self._drop_stale_confirmation(agent, config, context, org, conversation_id)
                payload = {"messages": [payload]}
            messages: dict[str, BaseMessage] = {}
            interrupts: list[Any] = []
            for mode, chunk in agent.stream(
                payload,
                config,
                context=context,
                stream_mode=["updates", "messages"] if tokens else ["updates"],
                durability=DURABILITY,
            ):
                if mode == "messages":
                    if isinstance(chunk[0], AIMessageChunk) and chunk[0].content:
                        yield StreamEvent(event="token", data={"text": str(chunk[0].content)})
                    continue
                for node, update in chunk.items():
                    if node == "__interrupt__":
                        interrupts.extend(update)
                        continue
                    for message in update.get("messages", []) if isinstance(update, dict) else []:
                        key = message.id or uuid.uuid4().hex
                        new = key not in messages
                        messages[key] = message  # the review step may rewrite a message: keep its last form
                        if new:
                            yield from self._progress_event(message)
            # The tools of a rejected proposal are "rejected" because that was the decision (not by their message).
            rejected = (
                {a.tool for a in confirmation.actions} if confirmation and confirmation.decision == "reject" else set()
            )
            response = self._response(org, conversation_id, list(messages.values()), interrupts, usage, rejected)
            self._settle(principal, request_id, body, response, context)
        except GeneratorExit:  # the caller stopped reading (Stop in the UI, a client gone) before the charge
            credits.refund(org, request_id, "the answer was stopped")
            if confirmation:
                self.confirmations.release(org, confirmation.id)
            raise
        except Exception:
            credits.refund(org, request_id, "the assistant call failed")
            if confirmation:  # the run failed: the change can be approved or rejected again
                self.confirmations.release(org, confirmation.id)
            log.exception("assistant turn failed", extra={"request_id": request_id, "org_id": org})
            raise
        self._reindex(org, response.actions)
        if confirmation:
            self.confirmations.close(org, confirmation)
        if response.pending_confirmation:
            yield StreamEvent(event="confirmation", data=response.pending_confirmation.model_dump())
        yield StreamEvent(event="final", data=response.model_dump(mode="json"))

    def _reindex(self, org: str, actions: list[Action]) -> None:
        """Keep the product and order documents in the search index in step with a write that just ran."""
        doc_ids: set[str] = set()
        for action in actions:
            if action.status != "executed" or action.tool not in WRITE_TOOLS:
                continue
            if sku := action.args.get("sku"):
                doc_ids.add(f"product:{sku}")
            if number := action.args.get("order_number"):
                doc_ids.add(f"order:{number}")
                result = action.result if isinstance(action.result, dict) else {}
                doc_ids.update(f"product:{sku}" for sku in result.get("skus", []))
        if doc_ids:
            try:
                self.services.reindex(org, sorted(doc_ids))
            except Exception:  # the write is done and stands; the index catches up at the next catalogue run
                log.exception("re-indexing after a write failed", extra={"org_id": org, "doc_ids": sorted(doc_ids)})

    @staticmethod
    def _progress_event(message: BaseMessage) -> Iterator[StreamEvent]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                yield StreamEvent(event="tool_call", data={"tool": call["name"], "args": call["args"]})
        elif isinstance(message, ToolMessage):
            yield StreamEvent(event="tool_result", data={"tool": message.name, "status": message.status})

    def _response(
        self,
        org: str,
        conversation_id: str,
        messages: list[BaseMessage],
        interrupts: list[Any],
        usage: UsageMetadataCallbackHandler,
        rejected: set[str],
    ) -> ChatResponse:
        citations: dict[str, Citation] = {}
        results: dict[str, ToolMessage] = {}
        for message in messages:
            if isinstance(message, ToolMessage):
                results[message.tool_call_id] = message
                for citation in (
                    (message.artifact or {}).get("citations", []) if isinstance(message.artifact, dict) else []
                ):
                    citations.setdefault(citation["source"], Citation(**citation))
        pending = None
        pending_calls: set[str] = set()
        if interrupts:
            request = interrupts[0].value
            summary = " ".join(action["description"] for action in request["action_requests"])
            pending = PendingConfirmation(id=interrupts[0].id, summary=summary)
            pending_calls = {action["name"] for action in request["action_requests"]}
            proposed = [ProposedAction(tool=a["name"], args=a["args"]) for a in request["action_requests"]]
            self.confirmations.propose(org, conversation_id, pending, proposed)
        actions = []
        for message in messages:
            if not isinstance(message, AIMessage):
                continue
            for call in message.tool_calls:
                result = results.get(call["id"] or "")
                artifact = result.artifact if result is not None and isinstance(result.artifact, dict) else {}
                if result is None:
                    status = "needs_confirmation" if call["name"] in pending_calls else "refused"
                    value: Any = None
                elif call["name"] in rejected:
                    status, value = "rejected", None
                elif "error" in artifact:
                    status, value = "refused", artifact["error"]
                else:
                    status, value = "executed", artifact.get("data")
                actions.append(Action(tool=call["name"], args=call["args"], status=status, result=value))
        answers = [m for m in messages if isinstance(m, AIMessage) and not m.tool_calls and m.content]
        answer = str(answers[-1].content) if answers else ""
        if pending is not None:
            answer = f"Please confirm: {pending.summary}"
        input_tokens = sum(u.get("input_tokens", 0) for u in usage.usage_metadata.values())
        output_tokens = sum(u.get("output_tokens", 0) for u in usage.usage_metadata.values())
        tool_calls = sum(1 for a in actions if a.status in ("executed", "refused"))
        return ChatResponse(
            conversation_id=conversation_id,
            answer=answer,
            citations=list(citations.values()),
            actions=actions,
            pending_confirmation=pending,
            usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens, tool_calls=tool_calls),
            credits_balance=0.0,
        )

    def _settle(
        self, principal: Principal, request_id: str, body: str, response: ChatResponse, context: AgentContext
    ) -> None:
        """Charge the turn and store its response in one transaction, filling in the charge and the balance:
        a retried request finds the answer exactly when it was charged (bound to the key and the body)."""
        org = principal.org_id
        embedded = sum(context.embedded_chars)
        actual = self.prices.cost_mc(
            self.price, response.usage.input_tokens, response.usage.output_tokens, response.usage.tool_calls, embedded
        )
        details = {
            "model": self.settings.llm_model,
            "input_tokens": response.usage.input_tokens,
            "output_tokens": response.usage.output_tokens,
            "tool_calls": response.usage.tool_calls,
            "tools": [a.tool for a in response.actions if a.status in ("executed", "refused")],
            "embedded_chars": embedded,
        }

        def record(settled: Reservation) -> tuple[Any, dict]:
            response.usage.credits_charged = as_credits(settled.charged_mc)
            response.credits_balance = as_credits(settled.balance_mc)
            return self.answers.record(org, request_id, response, principal.key_id, body)

        settled = self.services.credits.settle(org, request_id, actual, details, record=record)
        response.usage.credits_charged = as_credits(settled.charged_mc)
        response.credits_balance = as_credits(settled.balance_mc)

    # Confirmations ---------------------------------------------------------------------------------------
    def _drop_stale_confirmation(
        self, agent: Any, config: dict, context: AgentContext, org: str, conversation_id: str
    ) -> None:
        """A new message while a change awaits confirmation: the proposal lapses (rejected), nothing changes."""
        if not self.confirmations.supersede(org, conversation_id):
            return
        if agent.get_state(config).interrupts:
            decision = {"type": "reject", "message": "superseded by a new message; not done"}
            resume: Command = Command(resume={"decisions": [decision]})
            for _ in agent.stream(resume, config, context=context, durability=DURABILITY):
                pass
        self.confirmations.clear_pending(org, conversation_id)

    @staticmethod
    def _final(events: Iterator[StreamEvent]) -> ChatResponse:
        final = None
        for event in events:
            if event.event == "final":
                final = event.data
        if final is None:  # pragma: no cover - _turn always ends with a final event or raises
            raise RuntimeError("the assistant produced no answer")
        return ChatResponse(**final)
