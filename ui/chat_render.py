"""How a conversation turn becomes chat messages (pure functions, tested without a server).

- Tool calls are chips with a friendly label ("Checked stock levels"); the arguments and the outcome open on
  click. The final answer's `actions` set each chip's real outcome: a refused write is not "done", the user's own
  Reject is not an error, a confirmed change no longer waits.
- References in answers become links (`#fx-ref:...`) that the page turns into a side panel: `[n]` to the n-th
  help-centre source of the turn, `[product:SKU]` and `[order:N]` to the product or order. The model's own
  plain "Sources:" line is replaced by one line of links, so the sources show once.
- A write that waits for a decision is a card (an assistant message with Confirm / Reject options) right under
  the proposal; after the decision the same card says what happened.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from assistant.contracts import StreamEvent
from assistant.tools import TOOLS

REF_PREFIX = "#fx-ref:"
CONFIRM, REJECT = "confirm", "reject"
CARD_OPTIONS = [{"value": CONFIRM, "label": "Confirm"}, {"value": REJECT, "label": "Reject"}]

# (while running, when done) per tool, from the registry; writes name the change, because they may not have happened.
TOOL_LABELS: dict[str, tuple[str, str]] = {spec.name: (spec.running, spec.done) for spec in TOOLS}
# What a chip says once the final answer tells how the call ended.
OUTCOMES = {
    "executed": ("✔", "done"),
    "needs_confirmation": ("○", "waiting for your confirmation"),
    "rejected": ("✖", "you rejected it; nothing changed"),
    "refused": ("⚠", "not done"),
    "stopped": ("■", "stopped"),
}


def tool_label(tool: str, done: bool = True) -> str:
    running, finished = TOOL_LABELS.get(tool, (tool.replace("_", " ").capitalize(),) * 2)
    return finished if done else running


def tool_details(args: dict[str, Any]) -> str:
    if not args:
        return "No details."
    rows = "\n".join(
        f"| {_cell(key.replace('_', ' '))} | {_cell(json.dumps(v, ensure_ascii=False))} |" for key, v in args.items()
    )
    return f"| detail | value |\n|---|---|\n{rows}"


def _cell(text: str) -> str:
    return text.strip('"').replace("|", "\\|").replace("\n", " ")


def tool_chip(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": tool_details(args),
        "metadata": {"title": tool_label(tool, done=False), "status": "pending"},
        "tool": tool,  # not shown; lets the final answer find the chip (stripped by `visible`)
    }


def set_outcome(chip: dict[str, Any], status: str, reason: str = "") -> None:
    icon, text = OUTCOMES.get(status, ("•", status))
    tool = chip.get("tool", "")
    chip["metadata"] = {
        "title": f"{icon} {tool_label(tool)}",
        "status": "done",
        "log": f"{text}: {reason}" if reason and status == "refused" else text,
    }


# References -------------------------------------------------------------------------------------------------
_NUMBER_REF = re.compile(r"\[(\d{1,2})\]")
_ENTITY_REF = re.compile(r"\[(product|order):([A-Za-z0-9._-]{1,64})\]")
_SOURCES_TAIL = re.compile(r"\n+\s*Sources:.*\Z", re.DOTALL)


ENTITY_PREFIXES = ("product:", "order:", "shipment:", "tariff:")


def is_kb(citation: dict[str, Any]) -> bool:
    """A help-centre source (a file path or URI), as opposed to a product, order, shipment or tariff."""
    return not str(citation.get("source", "")).startswith(ENTITY_PREFIXES)


def link_references(text: str, numbers: dict[int, int]) -> str:
    """`[n]` -> a link to its help-centre citation (by index in the session's citation list); `[product:SKU]`,
    `[order:N]` -> links to their cards. A number without a citation stays plain text."""

    def number(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f"[\\[{n}\\]]({REF_PREFIX}c{numbers[n]})" if n in numbers else match.group(0)

    def entity(match: re.Match[str]) -> str:
        kind, key = match.groups()
        label = key if kind == "product" else f"order {key}"
        return f"[{label}]({REF_PREFIX}{kind}:{key})"

    return _ENTITY_REF.sub(entity, _NUMBER_REF.sub(number, text))


def strip_sources_line(text: str) -> str:
    """The model's plain "Sources: [1] ...; [2] ..." tail; the links below the answer replace it."""
    return _SOURCES_TAIL.sub("", text)


def number_sources(text: str, citations: list[dict[str, Any]], kb_refs: list[int]) -> dict[int, tuple[int, str]]:
    """n -> (citation index, label) for the numbers an answer uses.

    The model's "Sources: [1] Title > Heading; [4] ..." line says which passage each number is; the service keeps
    one citation per source document, so [1] and [4] may be two passages of one article: match by the title the
    line gives (whole, then the article's part). Without such a line, [n] is the n-th help-centre citation."""
    tail = _SOURCES_TAIL.search(text)
    found: dict[int, tuple[int, str]] = {}
    if tail:
        for match in re.finditer(r"\[(\d{1,2})\]\s*([^;\[]+)", tail.group(0).split("Sources:", 1)[1]):
            n, label = int(match.group(1)), match.group(2).strip().rstrip(".")
            titles = [(i, str(citations[i].get("title", ""))) for i in kb_refs]
            index = next((i for i, title in titles if title == label), None)
            article = label.split(" > ")[0]
            if index is None:
                index = next((i for i, title in titles if title.split(" > ")[0] == article), None)
            if index is not None:
                found[n] = (index, label)
        if found:
            return found
    return {n: (i, str(citations[i].get("title") or citations[i].get("source", ""))) for n, i in enumerate(kb_refs, 1)}


def sources_line(numbers: dict[int, tuple[int, str]]) -> str:
    if not numbers:
        return ""
    links = [
        f"[\\[{n}\\] {_escape_link_text(_heading_path(label))}]({REF_PREFIX}c{index})"
        for n, (index, label) in sorted(numbers.items())
    ]
    return "\n\n**Sources** · " + " · ".join(links)


def _heading_path(label: str) -> str:
    """ "Title > Title > Rules" (the article's own heading repeats its title) -> "Title › Rules"."""
    return " › ".join(dict.fromkeys(part.strip() for part in label.split(" > ") if part.strip()))


def _escape_link_text(text: str) -> str:
    return re.sub(r"([\[\]\\*_`<>])", r"\\\1", text)


def render_answer(text: str, citations: list[dict[str, Any]], kb_refs: list[int], final: bool) -> str:
    numbers = number_sources(text, citations, kb_refs) if final else {}
    body = link_references(strip_sources_line(text), {n: index for n, (index, _) in numbers.items()})
    return body + sources_line(numbers) if final else body


# Confirmation card ------------------------------------------------------------------------------------------
def confirmation_card(summary: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": f"**Confirm this change?**\n\n{summary}\n\nNothing changes until you confirm.",
        "options": CARD_OPTIONS,
        "card": "pending",
    }


def decided_card(summary: str, state: str, result: str = "") -> dict[str, Any]:
    """state: confirming, confirmed, rejected, refused, lapsed."""
    heading = {
        "confirming": "⏳ **Confirming…**",
        "confirmed": "✔ **Confirmed**",
        "rejected": "✖ **Rejected**: nothing changed.",
        "refused": "⚠ **Not done**",
        "lapsed": "⚠ **No longer waiting**",
    }[state]
    parts = [heading, summary]
    if result:
        parts.append(result)
    return {"role": "assistant", "content": "\n\n".join(parts), "card": state}


# One turn ---------------------------------------------------------------------------------------------------
@dataclass
class Turn:
    """Renders the stream events of one turn into chat messages.

    `citations` is the session's list of every citation shown so far: links point into it by index, so a
    `[1]` of an earlier answer keeps opening its own source."""

    history: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    answer_index: int | None = None
    chips: list[int] = field(default_factory=list)
    streamed: str = ""
    final: dict[str, Any] | None = None
    pending: dict[str, Any] | None = None
    error: str | None = None

    def apply(self, event: StreamEvent) -> None:
        data = event.data
        if event.event == "token":
            if self.answer_index is None:
                self.history.append({"role": "assistant", "content": ""})
                self.answer_index = len(self.history) - 1
                self.streamed = ""
            self.streamed += str(data.get("text", ""))
            self.history[self.answer_index]["content"] = render_answer(self.streamed, self.citations, [], False)
        elif event.event == "tool_call":
            self.answer_index = None  # text after a tool call is a new message, below the chip
            self.history.append(tool_chip(str(data.get("tool", "tool")), data.get("args") or {}))
            self.chips.append(len(self.history) - 1)
        elif event.event == "tool_result":
            for index in self.chips:  # the oldest chip of that tool still running
                chip = self.history[index]
                if chip.get("tool") == data.get("tool") and chip["metadata"].get("status") == "pending":
                    chip["metadata"] = {"title": tool_label(chip["tool"]), "status": "done"}
                    break
        elif event.event == "error":
            self.error = str(data.get("message") or data.get("detail") or "the assistant could not answer")
        elif event.event == "final":
            self.final = data
            self._finish(data)

    def _finish(self, final: dict[str, Any]) -> None:
        self._set_outcomes(final.get("actions") or [])
        start = len(self.citations)
        self.citations.extend(final.get("citations") or [])
        kb_refs = [i for i in range(start, len(self.citations)) if is_kb(self.citations[i])]
        pending = final.get("pending_confirmation")
        if pending:
            # The card is the message: no "Please confirm: ..." bubble above it.
            if self.answer_index is not None:
                del self.history[self.answer_index]
                self.answer_index = None
            self.history.append(confirmation_card(str(pending.get("summary", ""))))
            self.pending = {**pending, "card": len(self.history) - 1, "chips": list(self.chips)}
            return
        answer = str(final.get("answer") or "")
        if not answer:
            return
        rendered = render_answer(answer, self.citations, kb_refs, True)
        if self.answer_index is None:
            self.history.append({"role": "assistant", "content": rendered})
            self.answer_index = len(self.history) - 1
        else:
            # Same text as streamed, plus the sources line: the bubble only grows.
            self.history[self.answer_index]["content"] = rendered

    def _set_outcomes(self, actions: list[dict[str, Any]]) -> None:
        remaining = list(self.chips)
        for action in actions:
            index = next((i for i in remaining if self.history[i].get("tool") == action.get("tool")), None)
            if index is None:
                continue
            remaining.remove(index)
            reason = action.get("result") if action.get("status") == "refused" else ""
            set_outcome(self.history[index], str(action.get("status")), str(reason or ""))
        for index in remaining:  # no result came back (e.g. the turn failed): not run
            set_outcome(self.history[index], "refused")


def visible(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the Chatbot gets: only the keys it knows (our bookkeeping keys stay on the server)."""
    return [{k: v for k, v in m.items() if k in ("role", "content", "metadata", "options")} for m in history]


def outcome_of_decision(final: dict[str, Any], approve: bool) -> tuple[str, str]:
    """(card state, result text) of a confirm / reject turn from its final answer."""
    writes = [a for a in final.get("actions") or [] if a.get("status") in ("executed", "refused", "rejected")]
    answer = strip_sources_line(str(final.get("answer") or ""))
    answer = link_references(answer, {})
    if any(a["status"] == "refused" for a in writes):
        reason = next(str(a.get("result") or "") for a in writes if a["status"] == "refused")
        return "refused", reason or answer
    if not approve or any(a["status"] == "rejected" for a in writes):
        return "rejected", ""
    return "confirmed", answer


def credits_markdown(final: dict[str, Any]) -> str:
    usage = final.get("usage") or {}
    return (
        f"{final.get('credits_balance', 0):,.3f} credits left · this answer "
        f"{usage.get('credits_charged', 0):,.3f} credits"
    )
