"""Chat tab (merchants): streamed answers, the actions taken, cited sources and Confirm / Reject for writes.

The chat history and the conversation id are kept in `gr.State` on the server, so the Gradio API of this tab
takes only the message (gradio_client calls `/chat` with one argument). The streamed text is provisional; the
final event's answer replaces it, because the service may rewrite it (e.g. "Please confirm: ...").
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from assistant.contracts import ChatRequest, ConfirmRequest, StreamEvent
from domain.orgs import Role
from ui.session import Refusal, friendly_error, new_request_id, require

# Symbols from common text fonts (not emoji), so they render on machines without an emoji font.
ACTION_ICONS = {"executed": "✔", "needs_confirmation": "○", "rejected": "✖", "refused": "⚠"}


@dataclass
class Turn:
    """Renders the stream events of one turn into chat messages (pure, so it is tested without a server)."""

    history: list[dict[str, Any]]
    answer_index: int | None = None
    tool_indices: dict[str, list[int]] = field(default_factory=dict)
    final: dict[str, Any] | None = None
    pending: dict[str, Any] | None = None
    error: str | None = None

    def apply(self, event: StreamEvent) -> None:
        data = event.data
        if event.event == "token":
            if self.answer_index is None:
                self.history.append({"role": "assistant", "content": ""})
                self.answer_index = len(self.history) - 1
            self.history[self.answer_index]["content"] += str(data.get("text", ""))
        elif event.event == "tool_call":
            self.answer_index = None  # text after a tool call is a new message, below the action
            tool = str(data.get("tool", "tool"))
            self.history.append(
                {
                    "role": "assistant",
                    "content": f"`{_args_text(data.get('args') or {})}`",
                    "metadata": {"title": f"Action: {tool}", "status": "pending"},
                }
            )
            self.tool_indices.setdefault(tool, []).append(len(self.history) - 1)
        elif event.event == "tool_result":
            indices = self.tool_indices.get(str(data.get("tool")), [])
            if indices:
                message = self.history[indices.pop(0)]
                message["metadata"] = {**message["metadata"], "status": "done", "log": str(data.get("status", ""))}
        elif event.event == "confirmation":
            self.pending = {"id": data.get("id"), "summary": data.get("summary", "")}
        elif event.event == "error":
            self.error = str(data.get("message") or data.get("detail") or "the assistant could not answer")
        elif event.event == "final":
            self.final = data
            self._finish(data)

    def _finish(self, final: dict[str, Any]) -> None:
        paused = bool(final.get("pending_confirmation"))
        for message in self.history:  # a tool whose result never came back: paused for confirmation, or refused
            metadata = message.get("metadata")
            if metadata and metadata.get("status") == "pending":
                metadata.update(status="done", log="waiting for your confirmation" if paused else "not run")
        answer = final.get("answer") or ""
        if answer:
            if self.answer_index is None:
                self.history.append({"role": "assistant", "content": answer})
            else:
                self.history[self.answer_index]["content"] = answer
        citations = final.get("citations") or []
        if citations:
            self.history.append(
                {
                    "role": "assistant",
                    "content": citations_markdown(citations),
                    "metadata": {"title": f"Sources ({len(citations)})", "status": "done"},
                }
            )
        if final.get("pending_confirmation"):
            self.pending = final["pending_confirmation"]


def _args_text(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items()) or "(no arguments)"


def citations_markdown(citations: list[dict[str, Any]]) -> str:
    """One expandable <details> per source: the title shows, the snippet opens on click."""
    parts = []
    for number, citation in enumerate(citations, start=1):
        label = " > ".join(
            [str(citation.get("title") or citation.get("source", "")), *citation.get("heading_path", [])]
        )
        title = html.escape(label)
        source = html.escape(str(citation.get("source", "")))
        snippet = html.escape(str(citation.get("snippet") or "")) or "<i>no excerpt</i>"
        parts.append(
            f"<details><summary>[{number}] {title} — <code>{source}</code></summary>\n\n{snippet}\n\n</details>"
        )
    return "\n".join(parts)


def actions_markdown(actions: list[dict[str, Any]]) -> str:
    if not actions:
        return "_No actions in the last answer._"
    lines = ["**Actions in the last answer**"]
    for action in actions:
        icon = ACTION_ICONS.get(action.get("status", ""), "•")
        args = _args_text(action.get("args") or {})
        lines.append(f"- {icon} `{action.get('tool')}` ({args}): {str(action.get('status', '')).replace('_', ' ')}")
    return "\n".join(lines)


def credits_markdown(final: dict[str, Any]) -> str:
    usage = final.get("usage") or {}
    return (
        f"**{final.get('credits_balance', 0):,.3f} credits left** "
        f"(this answer: {usage.get('credits_charged', 0):,.3f} credits, "
        f"{usage.get('input_tokens', 0)} in / {usage.get('output_tokens', 0)} out tokens)"
    )


def pending_markdown(pending: dict[str, Any] | None) -> str:
    if not pending:
        return ""
    return f"**Waiting for your confirmation:** {pending.get('summary', '')}\n\nNothing changes until you confirm."


class ChatTab:
    def __init__(self, services: Any, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
        with gr.Column():
            self.chatbot = gr.Chatbot(
                label="Fluxori Assistant", elem_id="chat-history", height=460, buttons=["copy"], show_label=False
            )
            with gr.Row():
                self.message = gr.Textbox(
                    placeholder="Ask about stock, orders, imports, duties... e.g. how many BV-TENT-0001 in Cape Town?",
                    show_label=False,
                    elem_id="chat-input",
                    scale=5,
                    max_lines=6,
                )
                self.send = gr.Button("Send", variant="primary", elem_id="chat-send", scale=1)
            with gr.Row():
                self.pending_md = gr.Markdown("", elem_id="chat-pending")
            with gr.Row():
                self.confirm = gr.Button("Confirm", variant="primary", visible=False, elem_id="chat-confirm")
                self.reject = gr.Button("Reject", variant="stop", visible=False, elem_id="chat-reject")
            with gr.Row():
                self.credits_md = gr.Markdown("", elem_id="chat-credits")
                self.new = gr.Button("New conversation", size="sm", elem_id="chat-new", scale=0)
            self.actions_md = gr.Markdown("", elem_id="chat-actions")
        # Server-side state of this browser session: what the chat shows, the conversation, a pending write.
        self.history_state = gr.State([])
        self.conversation_state = gr.State(None)
        self.pending_state = gr.State(None)
        self.outputs = [
            self.chatbot,
            self.message,
            self.pending_md,
            self.confirm,
            self.reject,
            self.credits_md,
            self.actions_md,
            self.history_state,
            self.conversation_state,
            self.pending_state,
        ]

    def wire(self) -> None:
        inputs = [self.message, self.key_state, self.history_state, self.conversation_state, self.pending_state]
        self.send.click(self.ask, inputs, self.outputs, api_name="chat")
        # Enter in the textbox does the same; one public endpoint is enough for API clients.
        self.message.submit(self.ask, inputs, self.outputs, api_visibility="private")
        states = [self.key_state, self.history_state, self.conversation_state, self.pending_state]
        self.confirm.click(self.approve, states, self.outputs, api_name="confirm")
        self.reject.click(self.decline, states, self.outputs, api_name="reject")
        self.new.click(self.reset, None, self.outputs, api_name="new_conversation")

    # Handlers ---------------------------------------------------------------------------------------------
    def _view(
        self,
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        *,
        message: str = "",
        credits: str | None = None,
        actions: str | None = None,
    ) -> tuple:
        show = pending is not None
        return (
            history,
            message,
            pending_markdown(pending),
            gr.Button(visible=show),
            gr.Button(visible=show),
            gr.skip() if credits is None else credits,
            gr.skip() if actions is None else actions,
            history,
            conversation_id,
            pending,
        )

    def reset(self) -> tuple:
        return self._view([], None, None, credits="", actions="")

    def ask(
        self, message: str, key: str, history: list, conversation_id: str | None, pending: dict | None
    ) -> Iterator[tuple]:
        message = (message or "").strip()
        history = list(history or [])
        if not message:
            yield self._view(history, conversation_id, pending)
            return
        history.append({"role": "user", "content": message})
        request_id = new_request_id()
        try:
            principal = require(self.services, key, [Role.merchant])
            request = ChatRequest(message=message, conversation_id=conversation_id)
            events = self.services.assistant.stream(principal, request, request_id)
        except Exception as exc:  # every failure becomes a message, never a traceback
            yield from self._failed(history, conversation_id, pending, message, exc, request_id)
            return
        # A new message lets an earlier proposal lapse (the service marks it superseded), so hide its buttons.
        yield from self._stream(events, history, request.conversation_id, None, request_id)

    def approve(self, key: str, history: list, conversation_id: str | None, pending: dict | None) -> Iterator[tuple]:
        yield from self._decide(True, key, history, conversation_id, pending)

    def decline(self, key: str, history: list, conversation_id: str | None, pending: dict | None) -> Iterator[tuple]:
        yield from self._decide(False, key, history, conversation_id, pending)

    def _decide(
        self, approve: bool, key: str, history: list, conversation_id: str | None, pending: dict | None
    ) -> Iterator[tuple]:
        history = list(history or [])
        if not pending:
            yield self._view(history, conversation_id, None, actions="_There is nothing waiting for confirmation._")
            return
        history.append({"role": "user", "content": "✔ Confirm" if approve else "✖ Reject"})
        request_id = new_request_id()
        try:
            principal = require(self.services, key, [Role.merchant])
            request = ConfirmRequest(confirmation_id=pending["id"], approve=approve)
            events = self.services.assistant.stream_confirm(principal, request, request_id)
        except Exception as exc:
            # Already decided, expired or unknown: the proposal is gone either way, so hide the buttons.
            yield from self._failed(history, conversation_id, None, "", exc, request_id)
            return
        yield from self._stream(events, history, conversation_id, None, request_id)

    def _stream(
        self,
        events: Iterator[StreamEvent],
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        request_id: str,
    ) -> Iterator[tuple]:
        turn = Turn(history)
        yield self._view(turn.history, conversation_id, None)
        try:
            for event in events:
                turn.apply(event)
                if event.event in ("token", "tool_call", "tool_result"):
                    yield self._view(turn.history, conversation_id, None)
        except Exception as exc:  # a failure mid-stream (the service refunds the credits)
            yield from self._failed(turn.history, conversation_id, pending, "", exc, request_id)
            return
        if turn.error or turn.final is None:
            text = f"⚠ {turn.error or 'the assistant gave no answer'}"
            turn.history.append({"role": "assistant", "content": text})
            yield self._view(turn.history, conversation_id, pending, actions=text)
            return
        final = turn.final
        yield self._view(
            turn.history,
            final.get("conversation_id") or conversation_id,
            turn.pending,
            credits=credits_markdown(final),
            actions=actions_markdown(final.get("actions") or []),
        )

    def _failed(
        self,
        history: list,
        conversation_id: str | None,
        pending: dict | None,
        message: str,
        exc: Exception,
        request_id: str,
    ) -> Iterator[tuple]:
        text = friendly_error(exc if not _is_validation(exc) else Refusal(_validation_text(exc)), request_id)
        history.append({"role": "assistant", "content": f"⚠ {text}"})
        yield self._view(history, conversation_id, pending, message=message, actions=f"⚠ {text}")


def _is_validation(exc: Exception) -> bool:
    from pydantic import ValidationError

    return isinstance(exc, ValidationError)


def _validation_text(exc: Exception) -> str:
    errors = getattr(exc, "errors", lambda: [])()
    detail = "; ".join(str(e.get("msg", "")) for e in errors) or str(exc)
    return f"Please change the input: {detail}"
