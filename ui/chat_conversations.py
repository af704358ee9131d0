"""The conversations sidebar of the chat tab as `ChatView`s: list, open (also after a reload), rename, delete.
All of it through `assistant.application.conversations_view`, under the signed-in caller's organisation."""

from __future__ import annotations

import gradio as gr

from assistant.application import conversations_view as app_conversations
from domain.errors import DomainError
from domain.orgs import Principal
from ui.chat_history import history_from_messages
from ui.chat_view import CHAT_CAPABILITY, ChatState, ChatView, Listing, empty
from ui.session import UiServices, friendly_error, signed_in


class ChatConversations:
    def __init__(self, services: UiServices) -> None:
        self.services = services

    def principal(self, key: str | None) -> Principal | None:
        return signed_in(self.services, key, CHAT_CAPABILITY)

    def listing(self, principal: Principal | None, selected: str | None) -> Listing:
        if principal is None:
            return Listing([], selected)
        found = app_conversations.list_conversations(self.services, principal)
        return Listing([(c.title, c.id) for c in found], selected)

    def new(self, state: ChatState) -> ChatView:
        return empty(state.busy, Listing(None))

    def relist(self, key: str | None, state: ChatState) -> ChatView:
        """After a turn: a new conversation is listed, an answered one moves up."""
        return ChatView(listing=self.listing(self.principal(key), state.conversation_id))

    def open(self, conversation_id: str | None, key: str | None, state: ChatState) -> ChatView:
        principal = self.principal(key)
        if principal is None or not conversation_id:
            return self.new(state)
        try:
            return self._open(principal, conversation_id, state.busy)
        except Exception as exc:
            gr.Warning(friendly_error(exc))
            return self.new(state)

    def resume(self, conversation_id: str | None, key: str | None) -> ChatView:
        """After a reload: the conversation that was open, if it is still there (else the page stays as it is)."""
        principal = self.principal(key)
        if principal is None:
            return ChatView()
        if conversation_id:
            try:
                return self._open(principal, conversation_id)
            except DomainError:  # deleted meanwhile, or another organisation's (another key signed in)
                pass
        return ChatView(listing=self.listing(principal, None))

    def _open(self, principal: Principal, conversation_id: str, busy: bool = False) -> ChatView:
        opened = app_conversations.open_conversation(self.services, principal, conversation_id)
        history, citations, pending = history_from_messages(opened.messages, opened.pending)
        state = ChatState(history, conversation_id, pending, citations, busy)
        return ChatView(chat=state, credits="", listing=self.listing(principal, conversation_id))

    def rename(self, title: str, key: str | None, state: ChatState) -> ChatView:
        principal = self.principal(key)
        if principal is None or not state.conversation_id:
            return ChatView()
        try:
            app_conversations.rename_conversation(self.services, principal, state.conversation_id, title)
        except Exception as exc:
            gr.Warning(friendly_error(exc))
        return ChatView(listing=self.listing(principal, state.conversation_id))

    def delete(self, key: str | None, state: ChatState) -> ChatView:
        principal = self.principal(key)
        if principal is not None and state.conversation_id:
            try:
                app_conversations.delete_conversation(self.services, principal, state.conversation_id)
            except Exception as exc:
                gr.Warning(friendly_error(exc))
        return empty(state.busy, self.listing(principal, None))
