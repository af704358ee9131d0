"""What the chat tab shows, as data: the state kept per browser session (`ChatState`) and one update of the page
(`ChatView`). Handlers build views; `ui.chat_tab.ChatTab.render` alone turns a view into Gradio updates, so one
more thing on the page is one more field here and one more line there."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from assistant.application.policy import Capability
from ui.chat_render import decided_card, set_outcome

# The Chat tab is where changes are proposed and confirmed (support staff ask in the Knowledge base tab): every
# chat handler needs this capability (see the policy's table).
CHAT_CAPABILITY = Capability.confirm

Message = dict[str, Any]  # one message of `gr.Chatbot` (role, content, metadata, options)


@dataclass
class ChatState:
    """The conversation of one browser session, kept on the server (`gr.State`)."""

    history: list[Message] = field(default_factory=list)
    conversation_id: str | None = None
    # The proposal waiting for a decision: its id, summary, and where its card and chips are in `history`.
    pending: dict[str, Any] | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)  # the sources `c<N>` links point to
    busy: bool = False  # an answer is streaming (the page's Send is Stop)

    def copy(self, **changes: Any) -> ChatState:
        """A copy to change (the lists too, so the kept state changes only when the copy is shown)."""
        return replace(self, history=list(self.history), citations=list(self.citations), **changes)


@dataclass(frozen=True)
class Listing:
    """The conversation list and the open conversation (its title, and its id kept by the browser)."""

    choices: list[tuple[str, str]] | None  # (title, id), newest first; None: the list as it is
    selected: str | None = None

    @property
    def title(self) -> str:
        return next((label for label, value in self.choices or [] if value == self.selected), "")


@dataclass(frozen=True)
class ChatView:
    """One update of the chat page. A part left None stays as the page shows it."""

    chat: ChatState | None = None  # the conversation: the chat history shown and the state kept
    credits: str | None = None  # the line under the input box: what the turn cost
    # Set by the last view of a question's turn only: the question when the turn failed (the page puts it back into
    # the input box), else "".
    restore: str | None = None
    running: bool | None = None  # Send turned into Stop (True) or back (False)
    listing: Listing | None = None


def empty(busy: bool = False, listing: Listing | None = None) -> ChatView:
    """An empty chat, no cost shown. `busy` stays as it was: an answer still streaming ends on its own."""
    return ChatView(chat=ChatState(busy=busy), credits="", listing=listing)


def say(state: ChatState, text: str) -> ChatState:
    state.history.append({"role": "assistant", "content": text})
    return state


def stopped(state: ChatState) -> ChatState:
    """After Stop: the tools still running marked stopped, and a line saying nothing more was done."""
    state = state.copy(busy=False)
    for message in state.history:
        if (message.get("metadata") or {}).get("status") == "pending":
            set_outcome(message, "stopped")
    return say(state, "■ *Stopped. Nothing more was done.*")


def lapse(history: list[Message], pending: dict[str, Any], reason: str) -> None:
    """The pending proposal's card and chips say it was not carried out, and why."""
    card = pending.get("card")
    if card is not None and card < len(history):
        history[card] = decided_card(str(pending.get("summary", "")), "lapsed", reason)
    for index in pending.get("chips", []):
        if index < len(history):
            set_outcome(history[index], "refused", "not confirmed")
