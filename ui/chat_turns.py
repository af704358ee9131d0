"""One question and one decision of the chat tab, as a stream of `ChatView`s: the chat service's events turned
into messages (`ui.chat_render.Turn`), tokens in batches, and every failure a message, never a traceback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

from assistant.contracts import ChatRequest, ConfirmRequest, StreamEvent
from ui.chat_render import Turn, credits_markdown, decided_card, outcome_of_decision, set_outcome
from ui.chat_view import CHAT_CAPABILITY, ChatState, ChatView, lapse, say
from ui.session import UiServices, friendly_error, new_request_id, require

TOKEN_BATCH_SECONDS = 0.05
DECIDED_STATUS = {"confirmed": "executed", "rejected": "rejected", "refused": "refused"}


class ChatTurns:
    def __init__(self, services: UiServices) -> None:
        self.services = services

    def ask(self, message: str, key: str | None, state: ChatState) -> Iterator[ChatView]:
        """The turn of one question; its last view says what the turn cost, or brings the question back."""
        message = (message or "").strip()
        state = state.copy()
        if not message:
            yield ChatView(chat=state, restore="")
            return
        if state.pending:  # a new message lets the proposal lapse (the service marks it superseded)
            lapse(state.history, state.pending, "You asked something else, so nothing was changed.")
            state.pending = None
        state.history.append({"role": "user", "content": message})
        request_id = new_request_id()
        try:
            principal = require(self.services, key, CHAT_CAPABILITY)
            request = ChatRequest(message=message, conversation_id=state.conversation_id)
            events = self.services.assistant.stream(principal, request, request_id)
        except Exception as exc:  # every failure becomes a message, never a traceback
            yield self.failed(state, exc, request_id, message)
            return
        yield from self.stream(events, state, request_id, message)

    def stream(
        self, events: Iterator[StreamEvent], state: ChatState, request_id: str, question: str
    ) -> Iterator[ChatView]:
        turn = Turn(state.history, state.citations)
        yield ChatView(chat=state.copy())
        shown = time.monotonic()
        try:
            for event in events:
                # Every update is a message to the page: tokens are shown in batches (20 a second at most), except
                # a message's first, which is shown at once (the wait for it is what the user feels).
                first_token = event.event == "token" and turn.answer_index is None
                turn.apply(event)
                if (
                    first_token
                    or event.event in ("tool_call", "tool_result")
                    or (event.event == "token" and time.monotonic() - shown >= TOKEN_BATCH_SECONDS)
                ):
                    yield ChatView(chat=state.copy())
                    shown = time.monotonic()
        except Exception as exc:  # a failure mid-stream (the service refunds the credits)
            yield self.failed(state, exc, request_id, question)
            return
        if turn.error or turn.final is None:
            say(state, f"⚠ {turn.error or 'The assistant gave no answer.'}")
            yield ChatView(chat=state, restore=question)
            return
        final = turn.final
        state.conversation_id = final.get("conversation_id") or state.conversation_id
        state.pending = turn.pending
        yield ChatView(chat=state, credits=credits_markdown(final), restore="")

    @staticmethod
    def failed(state: ChatState, exc: Exception, request_id: str, question: str = "") -> ChatView:
        return ChatView(chat=say(state, f"⚠ {friendly_error(exc, request_id)}"), restore=question)

    def decide(self, approve: bool, key: str | None, state: ChatState) -> Iterator[ChatView]:
        """Confirm or reject the pending proposal: its card shows "confirming", then the outcome."""
        state = state.copy()
        pending = state.pending
        if not pending:
            yield ChatView(chat=say(state, "There is nothing waiting for confirmation."))
            return
        history = state.history
        summary, card = str(pending.get("summary", "")), pending.get("card", len(history))
        if card >= len(history):
            history.append({})
            card = len(history) - 1
        history[card] = decided_card(summary, "confirming")
        yield ChatView(chat=state.copy())
        state.pending = None
        request_id = new_request_id()
        try:
            principal = require(self.services, key, CHAT_CAPABILITY)
            request = ConfirmRequest(confirmation_id=pending["id"], approve=approve)
            final = None
            for event in self.services.assistant.stream_confirm(principal, request, request_id):
                if event.event == "final":
                    final = event.data
            if final is None:
                raise RuntimeError("the confirmation gave no answer")
        except Exception as exc:
            # Already decided, expired or unknown: the proposal is gone either way, so the card says so.
            lapse(history, pending, friendly_error(exc, request_id))
            yield ChatView(chat=state)
            return
        outcome, result = outcome_of_decision(final, approve)
        history[card] = decided_card(summary, outcome, result)
        for index in pending.get("chips", []):
            if index < len(history):
                set_outcome(history[index], DECIDED_STATUS[outcome], result if outcome == "refused" else "")
        yield ChatView(chat=state, credits=credits_markdown(final))


def finished(view: ChatView) -> bool:
    """The last view of a turn carries `restore` (the question, or "" when nothing is to be put back)."""
    return view.restore is not None


def page_turn(views: Iterator[ChatView]) -> Iterator[ChatView]:
    """A turn as the page shows it: Send turned into Stop for as long as it streams, back with its last view."""
    running: bool | None = True
    for view in views:
        if finished(view):
            yield replace(view, chat=_busy(view.chat, False), running=False)
            return
        yield replace(view, chat=_busy(view.chat, True), running=running, restore=None)
        running = None
    yield ChatView(running=False)  # a turn always ends with a finished view; never leave Stop up


def _busy(state: ChatState | None, busy: bool) -> ChatState | None:
    if state is not None:
        state.busy = busy
    return state
