"""One chat turn as one object (`Turn`), built once per request and passed through the steps of
`ChatService` (reserve -> run -> respond -> settle -> reindex -> close), and the response built from the
messages the agent produced."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langgraph.types import Command

from assistant.checkpointer import NEW_THREAD, thread_id_for
from assistant.confirmations import Confirmation, ProposedAction
from assistant.contracts import ORG_LABEL, Action, ChatResponse, Citation, PendingConfirmation, StreamEvent, Usage
from assistant.tools import SEARCH_KNOWLEDGE_BASE, AgentContext, spec_of
from domain.answer_log import AnswerRecord, CitedSource, Surface
from domain.orgs import Principal


@dataclass
class Turn:
    """Who asks, in which conversation, with what (a message, or the decision on a pending change), and the
    run's context and usage counter."""

    principal: Principal
    conversation_id: str
    payload: HumanMessage | Command[Any]
    request_id: str
    body: str  # the request's fingerprint: a stored answer is bound to it and to the key
    context: AgentContext
    confirmation: Confirmation | None = None  # the decided proposal this turn resumes
    new_conversation: bool = False
    tokens: bool = True  # stream the answer's tokens
    # The answer's id, made once here: the response, its stored copy (a retry) and the answer log all carry it.
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    usage: UsageMetadataCallbackHandler = field(default_factory=UsageMetadataCallbackHandler)
    # What the run produced: the messages by id, in their last form (the review step may rewrite one), and the
    # interrupts (a write that waits for the user's decision).
    messages: dict[str, BaseMessage] = field(default_factory=dict)
    interrupts: list[Any] = field(default_factory=list)

    @property
    def org(self) -> str:
        return self.principal.org_id

    @property
    def config(self) -> dict[str, Any]:
        thread = thread_id_for(self.org, self.conversation_id)
        return {
            "configurable": {"thread_id": thread, NEW_THREAD: self.new_conversation},
            "callbacks": [self.usage],
            "metadata": {ORG_LABEL: self.org},  # reaches the model call: Vertex AI's org_id label (assistant.models)
        }

    @property
    def rejected(self) -> set[str]:
        """The tools of a rejected proposal: "rejected" because that was the decision (not by their message)."""
        decided = self.confirmation
        return {a.tool for a in decided.actions} if decided and decided.decision == "reject" else set()


def run_agent(agent: Any, turn: Turn, durability: str) -> Iterator[StreamEvent]:
    """Run the agent on the turn's payload: progress (and, if asked, token) events as they come, while the
    messages and interrupts are collected on the turn."""
    payload = {"messages": [turn.payload]} if isinstance(turn.payload, HumanMessage) else turn.payload
    for mode, chunk in agent.stream(
        payload,
        turn.config,
        context=turn.context,
        stream_mode=["updates", "messages"] if turn.tokens else ["updates"],
        durability=durability,
    ):
        if mode == "messages":
            if isinstance(chunk[0], AIMessageChunk) and chunk[0].content:
                yield StreamEvent(event="token", data={"text": str(chunk[0].content)})
            continue
        for node, update in chunk.items():
            if node == "__interrupt__":
                turn.interrupts.extend(update)
                continue
            for message in update.get("messages", []) if isinstance(update, dict) else []:
                key = message.id or uuid.uuid4().hex
                new = key not in turn.messages
                turn.messages[key] = message
                if new:
                    yield from progress_events(message)


def progress_events(message: BaseMessage) -> Iterator[StreamEvent]:
    if isinstance(message, AIMessage) and message.tool_calls:
        for call in message.tool_calls:
            yield StreamEvent(event="tool_call", data={"tool": call["name"], "args": call["args"]})
    elif isinstance(message, ToolMessage):
        yield StreamEvent(event="tool_result", data={"tool": message.name, "status": message.status})


def pending_of(turn: Turn) -> tuple[PendingConfirmation | None, list[ProposedAction]]:
    """The change the run paused for (the human-in-the-loop interrupt), if any, and its proposed actions."""
    if not turn.interrupts:
        return None, []
    request = turn.interrupts[0].value
    summary = " ".join(action["description"] for action in request["action_requests"])
    proposed = [ProposedAction(tool=a["name"], args=a["args"]) for a in request["action_requests"]]
    return PendingConfirmation(id=turn.interrupts[0].id, summary=summary), proposed


def response_of(turn: Turn, pending: PendingConfirmation | None, proposed: list[ProposedAction]) -> ChatResponse:
    messages = list(turn.messages.values())
    citations: dict[str, Citation] = {}
    results: dict[str, ToolMessage] = {}
    for message in messages:
        if isinstance(message, ToolMessage):
            results[message.tool_call_id] = message
            for citation in (message.artifact or {}).get("citations", []) if isinstance(message.artifact, dict) else []:
                citations.setdefault(citation["source"], Citation(**citation))
    pending_calls = {action.tool for action in proposed}
    rejected = turn.rejected
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
    usage = turn.usage.usage_metadata.values()
    input_tokens = sum(u.get("input_tokens", 0) for u in usage)
    output_tokens = sum(u.get("output_tokens", 0) for u in usage)
    tool_calls = sum(1 for a in actions if a.status in ("executed", "refused"))
    return ChatResponse(
        conversation_id=turn.conversation_id,
        message_id=turn.message_id,
        answer=answer,
        citations=list(citations.values()),
        actions=actions,
        pending_confirmation=pending,
        usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens, tool_calls=tool_calls),
        credits_balance=0.0,
    )


def question_of(turn: Turn) -> str:
    """What the answer answers: the user's message, or for a decision on a proposal, the proposal's summary."""
    if isinstance(turn.payload, HumanMessage):
        return str(turn.payload.content)
    return turn.confirmation.summary if turn.confirmation is not None else ""


def _help_centre_results(actions: list[Action]) -> list[dict[str, Any]]:
    """The data of each help-centre search that ran (a search of product or order documents is not one)."""
    return [
        action.result
        for action in actions
        if action.tool == SEARCH_KNOWLEDGE_BASE.name
        and action.status == "executed"
        and action.args.get("doc_type", "kb") == "kb"
        and isinstance(action.result, dict)
    ]


def answer_record(turn: Turn, response: ChatResponse, model: str, surface: Surface) -> AnswerRecord:
    """The answer log's record of the turn's answer. "Not found": the help centre was searched and no search
    found an answer; the judge is the last search's."""
    searches = _help_centre_results(response.actions)
    return AnswerRecord(
        message_id=response.message_id,
        conversation_id=response.conversation_id,
        question=question_of(turn),
        answer=response.answer,
        citations=[CitedSource(source=c.source, title=c.title, doc_id=c.doc_id) for c in response.citations],
        tools=[a.tool for a in response.actions if a.status in ("executed", "refused")],
        model=model,
        surface=surface,
        role=turn.principal.role.value,
        key_id=turn.principal.key_id,
        not_found=bool(searches) and not any(s.get("found") for s in searches),
        judge=searches[-1].get("judge") if searches else None,
    )


def reindexed(actions: list[Action]) -> list[str]:
    """The search documents the writes that ran touched (each tool's record says which)."""
    doc_ids: set[str] = set()
    for action in actions:
        spec = spec_of(action.tool)
        if action.status == "executed" and spec is not None:
            doc_ids.update(spec.documents(action.args, action.result))
    return sorted(doc_ids)


def final_response(events: Iterator[StreamEvent]) -> ChatResponse:
    final = None
    for event in events:
        if event.event == "final":
            final = event.data
    if final is None:  # pragma: no cover - a turn always ends with a final event or raises
        raise RuntimeError("the assistant produced no answer")
    return ChatResponse(**final)
