"""Chat tab (merchants): conversations in a sidebar, streamed answers with clickable sources, friendly tool chips
and a confirmation card for every proposed change.

Flow of one question (UI): the page empties the input box at once (`BEGIN_JS`); one queued event, `ask_page`,
turns Send into Stop, streams the answer and turns Stop back into Send in the same event stream; then the page
alone (`END_JS`, no round trip) puts a failed question back into an empty input box, and `relist` updates the
conversation list after Send is back. Every other round trip in that chain was time the user waited. Typing goes
on while an answer streams; pressing Enter then says "wait" and keeps the text. gradio_client calls `/chat` with
the question only: the conversation and the pending change live in one `gr.State` (`ChatState`) on the server,
per browser session.

Handlers build `ChatView`s (`ui.chat_view`); `render` alone turns one into Gradio updates. The Today card above
an empty conversation (`ui.today_card`) is loaded after a sign-in and after every event that empties the chat.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr
from gradio.blocks import Block
from gradio.events import Dependency

from ui.chat_conversations import ChatConversations
from ui.chat_layout import ChatLayout
from ui.chat_render import CONFIRM, visible
from ui.chat_turns import ChatTurns, page_turn
from ui.chat_view import CHAT_CAPABILITY, ChatState, ChatView, empty, stopped
from ui.page_scripts import BEGIN_JS, END_JS, PHONE_CLOSE_JS, STOP_JS
from ui.references import render_reference
from ui.session import UiServices, friendly_error, require
from ui.today_card import load as load_today_card

BUSY = "An answer is still coming: your message is kept. Press Send when it is done, or Stop."

Updates = dict[Block, Any]  # what a handler returns: new values of some of its outputs (the rest stay)


class ChatTab(ChatLayout):
    def __init__(self, services: UiServices, key_state: gr.State) -> None:
        super().__init__()
        self.services = services
        self.key_state = key_state
        self.turns = ChatTurns(services)
        self.conversations = ChatConversations(services)
        # The conversation shown and kept: what every chat handler writes (and a sign-in resets).
        self.outputs: list[Block] = [self.chatbot, self.credits_md, self.state]
        self.running: list[Block] = [self.send, self.stop]
        # The conversation list and the open conversation.
        self.listing: list[Block] = [self.conversation_list, self.manage, self.title, self.conversation_store]

    # The one place a view becomes Gradio updates -------------------------------------------------------------
    def render(self, view: ChatView, outputs: Sequence[Block]) -> Updates:
        """The updates of `view` among `outputs` (an event's own; `/chat` has no input box to restore)."""
        updates: Updates = {}
        if view.chat is not None:
            updates[self.chatbot] = visible(view.chat.history)
            updates[self.state] = view.chat
        if view.credits is not None:
            updates[self.credits_md] = view.credits
        if view.restore is not None:
            updates[self.restore_box] = view.restore
        if view.running is not None:
            updates[self.send] = gr.Button(interactive=not view.running)
            updates[self.stop] = gr.Button(visible=view.running)
        if (listing := view.listing) is not None:
            if listing.choices is None:  # only the selection changes
                updates[self.conversation_list] = gr.Radio(value=listing.selected)
            else:
                choices = listing.choices
                updates[self.conversation_list] = gr.Radio(
                    choices=choices, value=listing.selected, visible=bool(choices)
                )
            updates[self.manage] = gr.Group(visible=listing.selected is not None)
            updates[self.title] = listing.title
            updates[self.conversation_store] = listing.selected or ""  # a reload opens this conversation again
        shown = {block: value for block, value in updates.items() if block in outputs}
        return shown or gr.skip()  # an empty dict is not read as updates

    def reset(self) -> tuple[Any, ...]:
        """An empty chat, as the values of `outputs` (a sign-in never shows the previous user's conversation)."""
        updates = self.render(empty(), self.outputs)
        return tuple(updates[block] for block in self.outputs)

    def wire(self) -> None:
        """Called by the app at the top level of its Blocks, after every tab is built."""
        # Gradio leaves `render` untyped: an error under `mypy --strict` only (hence `unused-ignore` without it).
        self.conversation_store.render()  # type: ignore[no-untyped-call, unused-ignore]
        page = [*self.outputs, self.restore_box, *self.running]  # never the input box: the page has emptied it
        answering = gr.on(
            [self.send.click, self.message.submit],
            self.ask_page,
            [self.message, self.key_state, self.state],
            page,
            api_visibility="private",
            concurrency_limit=None,
            js=BEGIN_JS,
            **self.quiet,
        )
        answering.success(None, [self.message, self.restore_box], [self.message], js=END_JS)
        answering.success(
            self.relist, [self.key_state, self.state], self.listing, api_visibility="private", queue=False, **self.quiet
        )
        # gradio_client's `/chat`: the same turn, the question its one argument.
        self.question.submit(
            self.ask,
            [self.question, self.key_state, self.state],
            self.outputs,
            api_name="chat",
            concurrency_limit=None,
            **self.quiet,
        )
        self.stop.click(
            self.stopped,
            [self.state],
            [*self.outputs, *self.running],
            cancels=[answering],
            api_visibility="private",
            queue=False,
            js=STOP_JS,
            **self.quiet,
        )
        decision = [self.key_state, self.state]
        self.chatbot.option_select(
            self.choose, decision, self.outputs, api_visibility="private", concurrency_limit=None, **self.quiet
        )
        self.confirm.click(
            self.approve, decision, self.outputs, api_name="confirm", concurrency_limit=None, **self.quiet
        )
        self.reject.click(self.decline, decision, self.outputs, api_name="reject", concurrency_limit=None, **self.quiet)
        opened = [*self.outputs, *self.listing]
        new = self.new.click(
            self.new_chat,
            [self.state],
            opened,
            api_name="new_conversation",
            queue=False,
            js=PHONE_CLOSE_JS,
            **self.quiet,
        )
        # The chatbot's own trash icon starts a new chat too (rather than hiding messages that would come back).
        cleared = self.chatbot.clear(
            self.new_chat, [self.state], opened, api_visibility="private", queue=False, **self.quiet
        )
        self.conversation_list.input(
            self.open_conversation,
            [self.conversation_list, self.key_state, self.state],
            opened,
            js=PHONE_CLOSE_JS,
            **self.quiet,
        )
        self.rename.click(
            self.rename_conversation,
            [self.title, self.key_state, self.state],
            self.listing,
            api_name="rename",
            **self.quiet,
        )
        deleted = self.delete.click(
            self.delete_conversation, [self.key_state, self.state], opened, api_name="delete", **self.quiet
        )
        for emptied in (new, cleared, deleted):  # an empty chat shows the Today card, with fresh figures
            self.refresh_today(emptied)
        self.ref_close.click(
            lambda: gr.Sidebar(open=False), None, self.ref_panel, queue=False, api_visibility="private", **self.quiet
        )
        self.bridge.click(
            self.open_reference,
            [self.bridge, self.key_state, self.state],
            [self.ref_panel, self.ref_body, self.sidebar],
            api_name="reference",
            **self.quiet,
        )

    def after_sign_in(self, event: Dependency) -> None:
        """Chain the conversation list onto a sign-in event of the app."""
        resumed = event.then(
            self.resume,
            [self.conversation_store, self.key_state],
            [*self.outputs, *self.listing],
            api_visibility="private",
            **self.quiet,
        )
        resumed.then(None, None, None, js=PHONE_CLOSE_JS)
        # The card is emptied in the page first: the previous user's never shows while this one's loads.
        self.refresh_today(event.then(None, None, [self.today], js="() => ['']"))

    def refresh_today(self, event: Dependency) -> None:
        event.then(self.load_today, [self.key_state], [self.today], api_visibility="private", **self.quiet)

    def load_today(self, key: str | None) -> str:
        return load_today_card(self.services, key)

    # One question -------------------------------------------------------------------------------------------
    def ask_page(self, message: str, key: str | None, state: ChatState) -> Iterator[Updates]:
        """The page's Send: `ask`, with Send turned into Stop for as long as the answer streams."""
        if state.busy:
            raise gr.Error(BUSY, duration=6, title="Please wait", print_exception=False)
        if not (message or "").strip():
            raise gr.Error("Type a question first.", duration=4, title="Nothing to send", print_exception=False)
        outputs = [*self.outputs, self.restore_box, *self.running]
        for view in page_turn(self.turns.ask(message, key, state)):
            yield self.render(view, outputs)

    def ask(self, message: str, key: str | None, state: ChatState) -> Iterator[Updates]:
        for view in self.turns.ask(message, key, state):
            yield self.render(view, self.outputs)

    def relist(self, key: str | None, state: ChatState) -> Updates:
        return self.render(self.conversations.relist(key, state), self.listing)

    def stopped(self, state: ChatState) -> Updates:
        return self.render(ChatView(chat=stopped(state), running=False), [*self.outputs, *self.running])

    # Confirm / reject -----------------------------------------------------------------------------------------
    def choose(self, key: str | None, state: ChatState, selected: gr.SelectData) -> Iterator[Updates]:
        yield from self._decide(selected.value == CONFIRM, key, state)

    def approve(self, key: str | None, state: ChatState) -> Iterator[Updates]:
        yield from self._decide(True, key, state)

    def decline(self, key: str | None, state: ChatState) -> Iterator[Updates]:
        yield from self._decide(False, key, state)

    def _decide(self, approve: bool, key: str | None, state: ChatState) -> Iterator[Updates]:
        for view in self.turns.decide(approve, key, state):
            yield self.render(view, self.outputs)

    # Conversations --------------------------------------------------------------------------------------------
    def new_chat(self, state: ChatState) -> Updates:
        return self.render(self.conversations.new(state), [*self.outputs, *self.listing])

    def open_conversation(self, conversation_id: str | None, key: str | None, state: ChatState) -> Updates:
        return self.render(self.conversations.open(conversation_id, key, state), [*self.outputs, *self.listing])

    def resume(self, conversation_id: str | None, key: str | None) -> Updates:
        """After a reload: the conversation that was open, if it is still there (else the page stays as it is)."""
        return self.render(self.conversations.resume(conversation_id, key), [*self.outputs, *self.listing])

    def rename_conversation(self, title: str, key: str | None, state: ChatState) -> Updates:
        return self.render(self.conversations.rename(title, key, state), self.listing)

    def delete_conversation(self, key: str | None, state: ChatState) -> Updates:
        return self.render(self.conversations.delete(key, state), [*self.outputs, *self.listing])

    # Side panel -----------------------------------------------------------------------------------------------
    def open_reference(self, ref: str, key: str | None, state: ChatState) -> tuple[gr.Sidebar, str, gr.Sidebar]:
        try:
            principal = require(self.services, key, CHAT_CAPABILITY)
            body = render_reference(self.services, principal, ref, list(state.citations))
        except Exception as exc:
            body = f"<p>⚠ {html.escape(friendly_error(exc))}</p>"
        # The source panel takes the room of the conversation list (both at once leave the chat too narrow).
        return gr.Sidebar(open=True), body, gr.Sidebar(open=False)
