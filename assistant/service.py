"""The assistant service: one conversation turn, charged to the organisation's credits.

Per turn: refuse early when credits or quota are short (reserve), run the agent, settle the actual usage (or
refund on failure), and remember the response under the request id so that a retried request is answered
again without running or charging twice. Write tools pause the agent (human-in-the-loop interrupt); the pause
is stored as a confirmation that only the same organisation can approve or reject before it expires.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langgraph.types import Command

from assistant.agent import build_agent
from assistant.application.policy import Capability, audiences_for, check, kb_only
from assistant.checkpointer import FirestoreSaver
from assistant.confirmations import Answers, Confirmations
from assistant.contracts import ChatRequest, ChatResponse, ConfirmRequest, StreamEvent
from assistant.ports import ChatServices
from assistant.pricing import load_prices
from assistant.settings import Settings
from assistant.tools import ALL_TOOLS, SEARCH_KNOWLEDGE_BASE, AgentContext
from assistant.turn import Turn, answer_record, final_response, pending_of, reindexed, response_of, run_agent
from assistant.turn_metrics import observe_turn
from domain.answer_log import Surface
from domain.checkpoints import CheckpointRepository
from domain.credits import Reservation, as_credits
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
        after_charge: Callable[[str, int], None] | None = None,
    ) -> None:
        """`after_charge(org_id, balance_mc)` runs after each settled turn, off the answer's path (auto top-up)."""
        self.settings = settings
        self.after_charge = after_charge
        self.services = services
        self.searcher = searcher
        self.model = model
        self.prices = load_prices(settings.prices_file)
        self.price = self.prices.model_price(settings.llm_provider, settings.llm_model)
        self.confirmations = Confirmations(services.store, settings.confirmation_ttl_seconds)
        self.answers = Answers(services.store)
        saver = FirestoreSaver(CheckpointRepository(services.store))
        self._agents = {
            "operator": build_agent(self.model, ALL_TOOLS, saver),
            "support": build_agent(self.model, [SEARCH_KNOWLEDGE_BASE.tool], saver),  # read-only knowledge answers
        }

    # Public API (assistant.contracts.AssistantService) ---------------------------------------------------
    def chat(self, principal: Principal, request: ChatRequest, request_id: str) -> ChatResponse:
        return final_response(self.stream(principal, request, request_id, tokens=False))

    def confirm(self, principal: Principal, request: ConfirmRequest, request_id: str) -> ChatResponse:
        return final_response(self.stream_confirm(principal, request, request_id, tokens=False))

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
        turn = Turn(
            principal,
            request.conversation_id or uuid.uuid4().hex,
            HumanMessage(request.message),
            request_id,
            body,
            self._context(principal),
            new_conversation=not request.conversation_id,
            tokens=tokens,
        )
        return self._reserve(turn)

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
        turn = Turn(
            principal,
            record.conversation_id,
            Command(resume={"decisions": [decision]}),
            request_id,
            body,
            self._context(principal),
            confirmation=record,
            tokens=tokens,
        )
        try:
            return self._reserve(turn)
        except Exception:  # refused before the run (credits, quota): nothing ran, so it can be decided again
            self.confirmations.release(principal.org_id, request.confirmation_id)
            raise

    # One turn: reserve -> run -> respond -> settle -> reindex -> close ---------------------------------------
    def _context(self, principal: Principal) -> AgentContext:
        return AgentContext(
            org_id=principal.org_id,
            actor=principal.label or principal.key_id[:12],
            services=self.services,
            searcher=self.searcher,
            audiences=audiences_for(principal.role),
        )

    def _reserve(self, turn: Turn) -> Iterator[StreamEvent]:
        """Refusals (credits, quota) happen here, before anything streams; the run itself is the iterator."""
        principal = turn.principal
        if not self.services.credits.reserve(turn.org, turn.request_id, self.prices.reservation_mc(self.price)).fresh:
            stored = self.answers.get(turn.org, turn.request_id, principal.key_id, turn.body)
            if stored is not None:  # a retried request: the same answer, no second run and no second charge
                return iter([StreamEvent(event="final", data=stored.model_dump(mode="json"))])
            raise Conflict(
                f"request {turn.request_id!r} is already being answered; retry later with the same request id "
                "to get its answer"
            )
        return self._run(turn)

    def _run(self, turn: Turn) -> Iterator[StreamEvent]:
        org, started, first_token = turn.org, time.perf_counter(), None
        surface: Surface = "kb" if kb_only(turn.principal.role) else "chat"
        agent = self._agents["support" if surface == "kb" else "operator"]
        try:
            if isinstance(turn.payload, HumanMessage) and not turn.new_conversation:
                self._drop_stale_confirmation(agent, turn)  # nothing can be pending in a conversation that starts now
            # not `yield from`: a stopped turn is refunded first, and the agent's stream closed after that
            for event in run_agent(agent, turn, DURABILITY):
                if first_token is None and event.event == "token":
                    first_token = time.perf_counter() - started
                yield event
            pending, proposed = pending_of(turn)
            if pending is not None:
                self.confirmations.propose(org, turn.conversation_id, pending, proposed)
            response = response_of(turn, pending, proposed)
            self._settle(turn, response)
            seconds = time.perf_counter() - started
            observe_turn(response, self.settings.llm_model, surface, seconds, first_token or seconds)
        except GeneratorExit:  # the caller stopped reading (Stop in the UI, a client gone) before the charge
            self._abandon(turn, "the answer was stopped")
            raise
        except Exception:
            self._abandon(turn, "the assistant call failed")  # the change can then be approved or rejected again
            log.exception("assistant turn failed", extra={"request_id": turn.request_id, "org_id": org})
            raise
        self._log_answer(turn, response, surface)  # before the final event: its message id can be rated at once
        self._reindex(org, reindexed(response.actions))
        if turn.confirmation:
            self.confirmations.close(org, turn.confirmation)
        if response.pending_confirmation:
            yield StreamEvent(event="confirmation", data=response.pending_confirmation.model_dump())
        yield StreamEvent(event="final", data=response.model_dump(mode="json"))

    def _abandon(self, turn: Turn, why: str) -> None:
        """A turn that did not finish: refunded, and the decision it resumed can be taken again."""
        self.services.credits.refund(turn.org, turn.request_id, why)
        if turn.confirmation:
            self.confirmations.release(turn.org, turn.confirmation.id)

    def _log_answer(self, turn: Turn, response: ChatResponse, surface: Surface) -> None:
        """Record the answer for feedback and the questions report. Not part of the charge's transaction: the
        answer was given and paid for, so a record that cannot be written is logged, never the user's failure."""
        try:
            self.services.answer_log.record(turn.org, answer_record(turn, response, self.settings.llm_model, surface))
        except Exception:
            log.exception(
                "recording the answer failed",
                extra={"request_id": turn.request_id, "org_id": turn.org, "message_id": response.message_id},
            )

    def _reindex(self, org: str, doc_ids: list[str]) -> None:
        """Keep the product and order documents in the search index in step with a write that just ran."""
        if doc_ids:
            try:
                self.services.reindex(org, doc_ids)
            except Exception:  # the write is done and stands; the index catches up at the next catalogue run
                log.exception("re-indexing after a write failed", extra={"org_id": org, "doc_ids": doc_ids})

    def _settle(self, turn: Turn, response: ChatResponse) -> None:
        """Charge the turn and store its response in one transaction, filling in the charge and the balance:
        a retried request finds the answer exactly when it was charged (bound to the key and the body)."""
        org, request_id = turn.org, turn.request_id
        embedded = sum(turn.context.embedded_chars)
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
            "key_id": turn.principal.key_id,  # the statement's usage by API key
        }

        def record(settled: Reservation) -> tuple[Any, dict[str, Any]]:
            response.usage.credits_charged = as_credits(settled.charged_mc)
            response.credits_balance = as_credits(settled.balance_mc)
            return self.answers.record(org, request_id, response, turn.principal.key_id, turn.body)

        settled = self.services.credits.settle(org, request_id, actual, details, record=record)
        response.usage.credits_charged = as_credits(settled.charged_mc)
        response.credits_balance = as_credits(settled.balance_mc)
        if self.after_charge is not None:
            threading.Thread(target=self._after_charge, args=(org, settled.balance_mc), daemon=True).start()

    def _after_charge(self, org: str, balance_mc: int) -> None:
        try:
            if self.after_charge is not None:
                self.after_charge(org, balance_mc)
        except Exception:  # the answer was given and charged; a failed follow-up is logged, never the user's
            log.exception("after-charge hook failed", extra={"org_id": org})

    # Confirmations ---------------------------------------------------------------------------------------
    def _drop_stale_confirmation(self, agent: Any, turn: Turn) -> None:
        """A new message while a change awaits confirmation: the proposal lapses (rejected), nothing changes."""
        if not self.confirmations.supersede(turn.org, turn.conversation_id):
            return
        if agent.get_state(turn.config).interrupts:
            decision = {"type": "reject", "message": "superseded by a new message; not done"}
            resume: Command[Any] = Command(resume={"decisions": [decision]})
            for _ in agent.stream(resume, turn.config, context=turn.context, durability=DURABILITY):
                pass
        self.confirmations.clear_pending(turn.org, turn.conversation_id)
