"""The caller's conversations as the chat tab lists, opens, renames and deletes them: always the caller's own
organisation, and only for roles that chat. Deleting one also deletes its answers' records and their feedback
(feedback follows the conversation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage

from assistant.application.policy import Capability, check
from assistant.conversations import ConversationInfo, Conversations
from assistant.ports import Repositories
from domain.orgs import Principal


@dataclass(frozen=True)
class OpenedConversation:
    messages: list[BaseMessage]
    pending: dict[str, Any] | None  # the proposal still waiting for a decision, if any


def _conversations(services: Repositories, principal: Principal) -> Conversations:
    check(principal, Capability.chat)
    # light: a reference to the store, its checkpointer and the repositories that keep records per conversation
    return Conversations(services.store, followers=(services.answer_log, services.feedback))


def list_conversations(services: Repositories, principal: Principal) -> list[ConversationInfo]:
    """The newest first."""
    return _conversations(services, principal).list(principal.org_id)


def open_conversation(services: Repositories, principal: Principal, conversation_id: str) -> OpenedConversation:
    """Its messages and pending proposal (NotFound when the organisation has no such conversation)."""
    conversations = _conversations(services, principal)
    return OpenedConversation(
        conversations.messages(principal.org_id, conversation_id),
        conversations.pending_confirmation(principal.org_id, conversation_id),
    )


def rename_conversation(
    services: Repositories, principal: Principal, conversation_id: str, title: str
) -> ConversationInfo:
    return _conversations(services, principal).rename(principal.org_id, conversation_id, title)


def delete_conversation(services: Repositories, principal: Principal, conversation_id: str) -> None:
    _conversations(services, principal).delete(principal.org_id, conversation_id)
