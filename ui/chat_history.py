"""A saved conversation (the checkpointed LangChain messages) rendered as the chat shows a live one: questions,
tool chips with their outcomes, answers with their source links, and the card of a change still waiting."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from ui.chat_render import confirmation_card, is_kb, render_answer, set_outcome, tool_chip


def _outcome(result: ToolMessage | None) -> tuple[str, str]:
    if result is None:
        return "refused", ""
    if str(result.content).startswith("User rejected"):
        return "rejected", ""
    artifact = result.artifact if isinstance(result.artifact, dict) else {}
    error = artifact.get("error")
    if error is None:
        try:
            content = json.loads(str(result.content))
            error = content.get("error") if isinstance(content, dict) else None
        except ValueError:
            error = None
    return ("refused", str(error)) if error else ("executed", "")


def history_from_messages(
    messages: list[BaseMessage], pending: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    """(chat history, the session's citations, the pending change as the chat tab keeps it)."""
    results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    history: list[dict[str, Any]] = []
    citations: list[dict[str, Any]] = []
    turn_sources: dict[str, int] = {}  # the turn's citations by source, as the service collects them
    last_chips: list[int] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            history.append({"role": "user", "content": str(message.content)})
            turn_sources, last_chips = {}, []
        elif isinstance(message, ToolMessage):
            artifact = message.artifact if isinstance(message.artifact, dict) else {}
            for citation in artifact.get("citations", []):
                if citation.get("source") not in turn_sources:
                    turn_sources[citation["source"]] = len(citations)
                    citations.append(citation)
        elif isinstance(message, AIMessage):
            for call in message.tool_calls:
                history.append(tool_chip(call["name"], call.get("args") or {}))
                result = results.get(call["id"] or "")
                if result is None and pending:
                    set_outcome(history[-1], "needs_confirmation")
                else:
                    set_outcome(history[-1], *_outcome(result))
                last_chips.append(len(history) - 1)
            if message.content and not message.tool_calls:
                kb_refs = [i for i in turn_sources.values() if is_kb(citations[i])]
                history.append(
                    {"role": "assistant", "content": render_answer(str(message.content), citations, kb_refs, True)}
                )
    pending_view = None
    if pending:
        history.append(confirmation_card(str(pending.get("summary", ""))))
        pending_view = {**pending, "card": len(history) - 1, "chips": last_chips}
    return history, citations, pending_view
