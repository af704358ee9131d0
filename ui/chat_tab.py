"""Chat tab (merchants): conversations in a sidebar, streamed answers with clickable sources, friendly tool chips
and a confirmation card for every proposed change.

Flow of one question (UI): the page empties the input box at once (`BEGIN_JS`); one queued event, `ask_page`,
turns Send into Stop, streams the answer and turns Stop back into Send in the same event stream; then the page
alone (`END_JS`, no round trip) puts a failed question back into an empty input box, and `relist` updates the
conversation list after Send is back. Every other round trip in that chain was time the user waited. Typing goes
on while an answer streams; pressing Enter then says "wait" and keeps the text. gradio_client calls `/chat` with
the question only: history, conversation and the pending change live in `gr.State` on the server, per browser
session.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import gradio as gr

from assistant.contracts import ChatRequest, ConfirmRequest, StreamEvent
from assistant.conversations import Conversations
from domain.errors import DomainError
from domain.orgs import Role
from ui.chat_history import history_from_messages
from ui.chat_render import (
    CONFIRM,
    REF_PREFIX,
    Turn,
    credits_markdown,
    decided_card,
    outcome_of_decision,
    set_outcome,
    visible,
)
from ui.page_scripts import BEGIN_JS, CHAT_CSS, END_JS, PANEL_JS, PHONE_CLOSE_JS, STOP_JS, bridge_js
from ui.progress import progress_on
from ui.references import render_reference
from ui.session import Refusal, friendly_error, new_request_id, require

TOKEN_BATCH_SECONDS = 0.05
BUSY = "An answer is still coming: your message is kept. Press Send when it is done, or Stop."
PLACEHOLDER = (
    "**Ask about stock, orders, imports and the help centre.**\n\n"
    "e.g. *How many BV-TENT-0001 do we have in Cape Town?* · *What is running low?* · *How do stock transfers work?*"
)


def send_back() -> tuple:
    """Send, Stop and the busy flag at the end of a turn."""
    return gr.Button(interactive=True), gr.Button(visible=False), False


class Last(tuple):
    """The last update of a turn: the page turns Stop back into Send in the same message (one render fewer)."""


class ChatTab:
    def __init__(self, services: Any, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
        with gr.Sidebar(
            position="left", open=True, width=270, elem_id="chat-sidebar", label="Conversations"
        ) as self.sidebar:
            self.new = gr.Button("+ New chat", variant="primary", elem_id="chat-new")
            # Shown once there is a conversation: an empty Radio is an empty white box.
            self.conversation_list = gr.Radio(
                [], value=None, label="Conversations", show_label=False, elem_id="chat-conversations", visible=False
            )
            with gr.Group(visible=False, elem_id="chat-manage") as self.manage:
                self.title = gr.Textbox(label="Title of this chat", elem_id="chat-title", max_lines=1)
                with gr.Row():
                    self.rename = gr.Button("Rename", size="sm", elem_id="chat-rename")
                    self.delete = gr.Button("Delete", size="sm", variant="stop", elem_id="chat-delete")
        with gr.Sidebar(position="right", open=False, width=400, elem_id="ref-panel", label="Source") as self.ref_panel:
            self.ref_close = gr.Button("Close", size="sm", elem_id="ref-close")
            self.ref_body = gr.HTML("", elem_id="ref-body", js_on_load=PANEL_JS, head=CHAT_CSS)
        self.chatbot = gr.Chatbot(
            label="Fluxori Assistant",
            elem_id="chat-history",
            height="62vh",
            min_height=320,
            buttons=["copy"],
            show_label=False,
            placeholder=PLACEHOLDER,
            feedback_options=None,
        )
        with gr.Row(equal_height=True, elem_id="chat-input-row"):
            self.message = gr.Textbox(
                placeholder="Ask about stock, orders, imports, duties…",
                show_label=False,
                elem_id="chat-input",
                scale=5,
                max_lines=6,
                autofocus=True,
            )
            self.send = gr.Button("Send", variant="primary", elem_id="chat-send", scale=1, min_width=80)
            self.stop = gr.Button("Stop", variant="stop", elem_id="chat-stop", scale=1, min_width=80, visible=False)
        self.credits_md = gr.Markdown("", elem_id="chat-credits")
        # Every chat event shows its progress (none: Send, Stop and the messages say enough) on the Send button. A
        # target's properties are copied at every status message of any event: the chatbot's are the whole
        # conversation, the side panel's a whole article.
        self.quiet = progress_on(self.send, "hidden")
        # API-only: confirm / reject the pending change (the page uses the card's buttons), the hidden question box
        # (`/chat` takes it as its one argument) and the bridge of reference links.
        self.question = gr.Textbox(visible=False)
        self.confirm = gr.Button(visible=False)
        self.reject = gr.Button(visible=False)
        self.bridge = gr.HTML(
            "", html_template="<span></span>", js_on_load=bridge_js(REF_PREFIX, "__fxRefs"), elem_id="fx-ref-bridge"
        )
        # Server-side state of this browser session.
        self.history_state = gr.State([])
        self.conversation_state = gr.State(None)
        self.pending_state = gr.State(None)
        self.citations_state = gr.State([])
        # A question to put back into the input box (its turn failed). The page's own chain sends it to a hidden box
        # instead, which the page can read; gradio_client gets no such box.
        self.restore_state = gr.State("")
        self.restore_box = gr.Textbox(visible=False)
        self.busy_state = gr.State(False)
        # The open conversation's id in the browser, so a reload opens it again (the messages stay on the server).
        # Rendered by `wire` at the top of the page: inside the tab, hidden until sign-in, it would not load its value.
        self.conversation_store = gr.BrowserState("", storage_key="fluxori-conversation", render=False)
        # The conversation list and the open conversation (see `_listing`).
        self.listing = [self.conversation_list, self.manage, self.title, self.conversation_store]
        # What every chat handler returns, in this order (see `_view`).
        self.outputs = [
            self.chatbot,
            self.credits_md,
            self.history_state,
            self.conversation_state,
            self.pending_state,
            self.citations_state,
            self.restore_state,
        ]

    def wire(self) -> None:
        """Called by the app at the top level of its Blocks, after every tab is built."""
        self.conversation_store.render()
        chat_inputs = [
            self.question,
            self.key_state,
            self.history_state,
            self.conversation_state,
            self.pending_state,
            self.citations_state,
        ]
        page_inputs = [self.message, self.busy_state, *chat_inputs[1:]]
        running = [self.send, self.stop, self.busy_state]
        answering = gr.on(
            [self.send.click, self.message.submit],
            self.ask_page,
            page_inputs,
            [*self.outputs[:-1], self.restore_box, *running],  # never the input box: the page has emptied it
            api_visibility="private",
            concurrency_limit=None,
            js=BEGIN_JS,
            **self.quiet,
        )
        answering.success(None, [self.message, self.restore_box], [self.message], js=END_JS)
        answering.success(
            self.relist,
            [self.key_state, self.conversation_state],
            self.listing,
            api_visibility="private",
            queue=False,
            **self.quiet,
        )
        # gradio_client's `/chat`: the same turn, the question its one argument.
        self.question.submit(self.ask, chat_inputs, self.outputs, api_name="chat", concurrency_limit=None, **self.quiet)
        self.stop.click(
            self.stopped,
            [self.history_state, self.conversation_state, self.pending_state, self.citations_state],
            [*self.outputs, self.send, self.stop, self.busy_state],
            cancels=[answering],
            api_visibility="private",
            queue=False,
            js=STOP_JS,
            **self.quiet,
        )
        decision_inputs = [
            self.key_state,
            self.history_state,
            self.conversation_state,
            self.pending_state,
            self.citations_state,
        ]
        decided = {"concurrency_limit": None, **self.quiet}
        self.chatbot.option_select(self.choose, decision_inputs, self.outputs, api_visibility="private", **decided)
        self.confirm.click(self.approve, decision_inputs, self.outputs, api_name="confirm", **decided)
        self.reject.click(self.decline, decision_inputs, self.outputs, api_name="reject", **decided)
        listing = self.listing
        self.new.click(
            self.new_chat,
            None,
            [*self.outputs, *listing],
            api_name="new_conversation",
            queue=False,
            js=PHONE_CLOSE_JS,
            **self.quiet,
        )
        # The chatbot's own trash icon starts a new chat too (rather than hiding messages that would come back).
        self.chatbot.clear(
            self.new_chat,
            None,
            [*self.outputs, *listing],
            api_visibility="private",
            queue=False,
            **self.quiet,
        )
        self.conversation_list.input(
            self.open_conversation,
            [self.conversation_list, self.key_state],
            [*self.outputs, *listing],
            js=PHONE_CLOSE_JS,
            **self.quiet,
        )
        self.rename.click(
            self.rename_conversation,
            [self.title, self.key_state, self.conversation_state],
            listing,
            api_name="rename",
            **self.quiet,
        )
        self.delete.click(
            self.delete_conversation,
            [self.key_state, self.conversation_state],
            [*self.outputs, *listing],
            api_name="delete",
            **self.quiet,
        )
        self.ref_close.click(
            lambda: gr.Sidebar(open=False),
            None,
            self.ref_panel,
            queue=False,
            api_visibility="private",
            **self.quiet,
        )
        self.bridge.click(
            self.open_reference,
            [self.bridge, self.key_state, self.citations_state],
            [self.ref_panel, self.ref_body, self.sidebar],
            api_name="reference",
            **self.quiet,
        )

    @cached_property
    def conversations(self) -> Conversations:
        return Conversations(self.services.store)  # built on first use: building the UI needs no database

    def after_sign_in(self, event: Any) -> None:
        """Chain the conversation list onto a sign-in event of the app."""
        listing = self.listing
        resumed = event.then(
            self.resume,
            [self.conversation_store, self.key_state],
            [*self.outputs, *listing],
            api_visibility="private",
            **self.quiet,
        )
        resumed.then(None, None, None, js=PHONE_CLOSE_JS)

    # Views ------------------------------------------------------------------------------------------------
    def _view(
        self,
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        citations: list,
        *,
        credits: str | None = None,
        restore: str = "",
        last: bool = False,
    ) -> tuple:
        return (Last if last else tuple)(
            (
                visible(history),
                gr.skip() if credits is None else credits,
                history,
                conversation_id,
                pending,
                citations,
                restore,
            )
        )

    def _listing(self, principal: Any, selected: str | None) -> tuple:
        choices = self._choices(principal)
        title = next((label for label, value in choices if value == selected), "")
        return (
            gr.Radio(choices=choices, value=selected, visible=bool(choices)),
            gr.Group(visible=selected is not None),
            title,
            selected or "",  # kept by the browser: a reload opens this conversation again
        )

    def _choices(self, principal: Any) -> list[tuple[str, str]]:
        if principal is None:
            return []
        return [(c.title, c.id) for c in self.conversations.list(principal.org_id)]

    def reset(self) -> tuple:
        """An empty chat (the values of `outputs`)."""
        return self._view([], None, None, [], credits="")

    def new_chat(self) -> tuple:
        return (*self.reset(), gr.Radio(value=None), gr.Group(visible=False), "", "")

    # One question -----------------------------------------------------------------------------------------
    def ask_page(
        self,
        message: str,
        busy: bool,
        key: str,
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        citations: list,
    ) -> Iterator[tuple]:
        """The page's Send: `ask`, with Send turned into Stop for as long as the answer streams."""
        if busy:
            raise gr.Error(BUSY, duration=6, title="Please wait", print_exception=False)
        if not (message or "").strip():
            raise gr.Error("Type a question first.", duration=4, title="Nothing to send", print_exception=False)
        running: tuple = (gr.Button(interactive=False), gr.Button(visible=True), True)
        done = send_back()
        for view in self.ask(message, key, history, conversation_id, pending, citations):
            if isinstance(view, Last):
                yield (*view, *done)
                return
            yield (*view, *running)
            running = (gr.skip(), gr.skip(), gr.skip())
        yield (*(gr.skip() for _ in self.outputs), *done)  # a turn always ends with a `Last`; never leave Stop up

    def relist(self, key: str | None, conversation_id: str | None) -> tuple:
        """After a turn: a new conversation is listed, an answered one moves up."""
        return self._listing(self._principal(key), conversation_id)

    def stopped(self, history: list, conversation_id: str | None, pending: dict | None, citations: list) -> tuple:
        history = list(history or [])
        for message in history:
            if (message.get("metadata") or {}).get("status") == "pending":
                set_outcome(message, "stopped")
        history.append({"role": "assistant", "content": "■ *Stopped. Nothing more was done.*"})
        return (*self._view(history, conversation_id, pending, citations), *send_back())

    def ask(
        self,
        message: str,
        key: str,
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        citations: list,
    ) -> Iterator[tuple]:
        message = (message or "").strip()
        history, citations = list(history or []), list(citations or [])
        if not message:
            yield self._view(history, conversation_id, pending, citations, last=True)
            return
        if pending:  # a new message lets the proposal lapse (the service marks it superseded)
            self._lapse(history, pending, "You asked something else, so nothing was changed.")
        history.append({"role": "user", "content": message})
        request_id = new_request_id()
        try:
            principal = require(self.services, key, [Role.merchant])
            request = ChatRequest(message=message, conversation_id=conversation_id)
            events = self.services.assistant.stream(principal, request, request_id)
        except Exception as exc:  # every failure becomes a message, never a traceback
            yield self._failed(history, conversation_id, None, citations, exc, request_id, restore=message)
            return
        yield from self._stream(events, history, request.conversation_id, citations, request_id, message)

    def _stream(
        self,
        events: Iterator[StreamEvent],
        history: list,
        conversation_id: str | None,
        citations: list,
        request_id: str,
        question: str,
    ) -> Iterator[tuple]:
        turn = Turn(history, citations)
        yield self._view(turn.history, conversation_id, None, citations)
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
                    yield self._view(turn.history, conversation_id, None, citations)
                    shown = time.monotonic()
        except Exception as exc:  # a failure mid-stream (the service refunds the credits)
            yield self._failed(turn.history, conversation_id, None, citations, exc, request_id, restore=question)
            return
        if turn.error or turn.final is None:
            turn.history.append({"role": "assistant", "content": f"⚠ {turn.error or 'The assistant gave no answer.'}"})
            yield self._view(turn.history, conversation_id, None, citations, restore=question, last=True)
            return
        final = turn.final
        yield self._view(
            turn.history,
            final.get("conversation_id") or conversation_id,
            turn.pending,
            citations,
            credits=credits_markdown(final),
            last=True,
        )

    def _failed(
        self,
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        citations: list,
        exc: Exception,
        request_id: str,
        restore: str = "",
    ) -> tuple:
        text = friendly_error(exc, request_id)
        history.append({"role": "assistant", "content": f"⚠ {text}"})
        return self._view(history, conversation_id, pending, citations, restore=restore, last=True)

    @staticmethod
    def _lapse(history: list, pending: dict, reason: str) -> None:
        card = pending.get("card")
        if card is not None and card < len(history):
            history[card] = decided_card(str(pending.get("summary", "")), "lapsed", reason)
        for index in pending.get("chips", []):
            if index < len(history):
                set_outcome(history[index], "refused", "not confirmed")

    # Confirm / reject -------------------------------------------------------------------------------------
    def choose(
        self,
        key: str,
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        citations: list,
        selected: gr.SelectData,
    ) -> Iterator[tuple]:
        yield from self._decide(selected.value == CONFIRM, key, history, conversation_id, pending, citations)

    def approve(self, key: str, history: list, conversation_id: str | None, pending: dict | None, citations: list):
        yield from self._decide(True, key, history, conversation_id, pending, citations)

    def decline(self, key: str, history: list, conversation_id: str | None, pending: dict | None, citations: list):
        yield from self._decide(False, key, history, conversation_id, pending, citations)

    def _decide(
        self,
        approve: bool,
        key: str,
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        citations: list,
    ) -> Iterator[tuple]:
        history, citations = list(history or []), list(citations or [])
        if not pending:
            history.append({"role": "assistant", "content": "There is nothing waiting for confirmation."})
            yield self._view(history, conversation_id, None, citations)
            return
        summary, card = str(pending.get("summary", "")), pending.get("card", len(history))
        if card >= len(history):
            history.append({})
            card = len(history) - 1
        history[card] = decided_card(summary, "confirming")
        yield self._view(history, conversation_id, pending, citations)
        request_id = new_request_id()
        try:
            principal = require(self.services, key, [Role.merchant])
            request = ConfirmRequest(confirmation_id=pending["id"], approve=approve)
            final = None
            for event in self.services.assistant.stream_confirm(principal, request, request_id):
                if event.event == "final":
                    final = event.data
            if final is None:
                raise RuntimeError("the confirmation gave no answer")
        except Exception as exc:
            # Already decided, expired or unknown: the proposal is gone either way, so the card says so.
            self._lapse(history, pending, friendly_error(exc, request_id))
            yield self._view(history, conversation_id, None, citations)
            return
        state, result = outcome_of_decision(final, approve)
        history[card] = decided_card(summary, state, result)
        status = {"confirmed": "executed", "rejected": "rejected", "refused": "refused"}[state]
        for index in pending.get("chips", []):
            if index < len(history):
                set_outcome(history[index], status, result if state == "refused" else "")
        yield self._view(history, conversation_id, None, citations, credits=credits_markdown(final))

    # Conversations ----------------------------------------------------------------------------------------
    def _principal(self, key: str | None) -> Any:
        try:
            return require(self.services, key, [Role.merchant]) if key else None
        except Refusal:
            return None

    def open_conversation(self, conversation_id: str | None, key: str | None) -> tuple:
        principal = self._principal(key)
        if principal is None or not conversation_id:
            return self.new_chat()
        try:
            return self._open(principal, conversation_id)
        except Exception as exc:
            gr.Warning(friendly_error(exc))
            return self.new_chat()

    def resume(self, conversation_id: str | None, key: str | None) -> tuple:
        """After a reload: the conversation that was open, if it is still there (else the page stays as it is)."""
        principal = self._principal(key)
        if principal is None:
            return tuple(gr.skip() for _ in range(len(self.outputs) + len(self.listing)))
        if conversation_id:
            try:
                return self._open(principal, conversation_id)
            except DomainError:  # deleted meanwhile, or another organisation's (another key signed in)
                pass
        return (*(gr.skip() for _ in self.outputs), *self._listing(principal, None))

    def _open(self, principal: Any, conversation_id: str) -> tuple:
        messages = self.conversations.messages(principal.org_id, conversation_id)
        pending = self.conversations.pending_confirmation(principal.org_id, conversation_id)
        history, citations, pending_view = history_from_messages(messages, pending)
        return (
            *self._view(history, conversation_id, pending_view, citations, credits=""),
            *self._listing(principal, conversation_id),
        )

    def rename_conversation(self, title: str, key: str | None, conversation_id: str | None) -> tuple:
        principal = self._principal(key)
        if principal is None or not conversation_id:
            return tuple(gr.skip() for _ in self.listing)
        try:
            self.conversations.rename(principal.org_id, conversation_id, title)
        except Exception as exc:
            gr.Warning(friendly_error(exc))
        return self._listing(principal, conversation_id)

    def delete_conversation(self, key: str | None, conversation_id: str | None) -> tuple:
        principal = self._principal(key)
        if principal is not None and conversation_id:
            try:
                self.conversations.delete(principal.org_id, conversation_id)
            except Exception as exc:
                gr.Warning(friendly_error(exc))
        return (*self.reset(), *self._listing(principal, None))

    # Side panel -------------------------------------------------------------------------------------------
    def open_reference(self, ref: str, key: str | None, citations: list) -> tuple:
        try:
            principal = require(self.services, key, [Role.merchant])
            body = render_reference(self.services, principal, ref, list(citations or []))
        except Exception as exc:
            body = f"<p>⚠ {html.escape(friendly_error(exc))}</p>"
        # The source panel takes the room of the conversation list (both at once leave the chat too narrow).
        return gr.Sidebar(open=True), body, gr.Sidebar(open=False)
