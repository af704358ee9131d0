"""Knowledge-base tab: ranked search results that open the whole article, a plain relevance cue, and a streamed
answer with numbered citations.

Search and answers follow the role policy (`assistant.application.policy`): support staff search the help centre
only and get knowledge-base answers; merchants and admins may also search products and orders; admins do not chat,
so they see no answer button. The answer goes through the assistant service with the caller's own principal.

Opening: results, citations and "nearest articles" are links `#fx-kb:cN` to the N-th entry of this session's
list of sources (`refs_state`, server side); the page hands a clicked one to a hidden bridge component, and the
side panel shows it with the chat's renderer (`ui.references`: the article, audience-checked, the passage
highlighted; a product or order card). The prefix differs from the chat's `#fx-ref:` so each tab's panel opens
from its own links.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections.abc import Generator, Iterator
from typing import Any, cast, get_args

import gradio as gr

from assistant.application import search as app_search
from assistant.application.policy import Capability, can, kb_only
from assistant.contracts import ChatRequest, StreamEvent
from assistant.kb_answers import answerable
from assistant.ports import AppServices
from domain.orgs import Principal
from retrieval.types import DocType, SearchHit
from ui.chat_render import (
    REF_PREFIX,
    is_kb,
    link_references,
    number_sources,
    render_answer,
    sources_line,
    strip_sources_line,
    tool_label,
)
from ui.page_scripts import CHAT_CSS, PANEL_JS, bridge_js
from ui.references import render_reference
from ui.session import Refusal, UiServices, friendly_error, new_request_id, require

log = logging.getLogger(__name__)

TYPE_CHOICES = [("All", "all"), ("Help centre (KB)", "kb"), ("Products", "product"), ("Orders", "order")]
MAX_RESULTS = 20
SNIPPET_CHARS = 360
NEAREST = 3  # articles offered when nothing answers
TOKEN_BATCH_SECONDS = 0.05  # streamed text is re-sent at most 20 times a second
KB_PREFIX = "#fx-kb:"
STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by can do does for from how i in is it my of on or our the to we what when where which "
        "who why will with you your",
    )
)
MARKUP = re.compile(r"\*\*|__|`|^#+ |(?<=\s)#+ ", re.MULTILINE)
# Why these two words: a "strong match" is a passage the knowledge-base answers would quote (the calibrated
# "answerable" test of `assistant.kb_answers`); anything else shares words or meaning without answering.
CUES = {True: ("strong", "Strong match"), False: ("partial", "Partial match")}
CUE_HELP = {
    True: "Close in meaning to your question: this is what an answer would quote.",
    False: "Related, but probably not the answer: it shares words or topic with your question.",
}
CHANGE_ELSEWHERE = "_That asks for a change; changes are proposed and confirmed in the Chat tab. Nothing was changed._"
NOT_CLOSE = "Nothing in the knowledge base answers this closely. The nearest articles are below."

KB_CSS = """
<style>
.fx-hit-title a, #kb-answer-text a[href*="#fx-kb:"], .fx-nearest a { color: var(--link-text-color);
  text-decoration: none; cursor: pointer; }
#kb-answer-text a[href*="#fx-kb:"] { background: var(--color-accent-soft); border-radius: 4px; padding: 0 3px;
  color: var(--body-text-color); }
.fx-hit-title a:hover, .fx-nearest a:hover { text-decoration: underline; }
.fx-cue { display: inline-block; font-size: 0.8em; font-weight: 600; border-radius: 999px; padding: 1px 8px;
  margin-left: 6px; vertical-align: middle; border: 1px solid var(--border-color-primary); }
.fx-cue-strong { background: var(--color-accent-soft); color: var(--body-text-color); }
.fx-cue-partial { color: var(--body-text-color-subdued); }
.fx-notfound { border-left: 3px solid var(--color-accent); padding: 6px 10px; margin: 8px 0;
  background: var(--background-fill-secondary); border-radius: 4px; }
.fx-hit-open { font-size: 0.9em; }
</style>
"""


def query_terms(query: str) -> list[str]:
    words = re.findall(r"[\w-]+", query.lower())
    terms = [w for w in words if len(w) > 1 and w not in STOPWORDS]
    return sorted(set(terms), key=len, reverse=True)  # longest first, so "bv-tent-0001" wins over "bv"


def snippet(text: str, terms: list[str], size: int = SNIPPET_CHARS) -> str:
    """The part of `text` around the first query term, cut at word boundaries."""
    text = " ".join(MARKUP.sub("", text).split())  # KB passages are Markdown; the card shows plain text
    if len(text) <= size:
        return text
    lower = text.lower()
    positions = [p for p in (lower.find(t) for t in terms) if p >= 0]
    start = max(0, min(positions) - size // 3) if positions else 0
    end = min(len(text), start + size)
    start = max(0, end - size)
    if start > 0:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    return ("… " if start > 0 else "") + text[start:end] + (" …" if end < len(text) else "")


def highlight(text: str, terms: list[str]) -> str:
    """HTML-escaped text with every word that starts with a query term in bold."""
    if not terms:
        return html.escape(text)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in terms) + r")[\w-]*", re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<b>{html.escape(match.group(0))}</b>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def is_strong(query: str, hit: SearchHit, hits: list[SearchHit]) -> bool:
    """Would the knowledge-base answer quote `hit`? The calibrated judge, with the other documents as its rivals."""
    return answerable(query, [hit, *(other for other in hits if other.doc_id != hit.doc_id)])


def relevance_cue(strong: bool) -> str:
    kind, text = CUES[strong]
    return f'<span class="fx-cue fx-cue-{kind}" title="{html.escape(CUE_HELP[strong])}">{text}</span>'


def as_ref(hit: SearchHit) -> dict[str, Any]:
    """A search hit as a source the side panel opens (the passage is what it highlights)."""
    return {"source": hit.source, "doc_id": hit.doc_id, "title": hit.title, "snippet": hit.text}


def results_html(hits: list[SearchHit], query: str, first_ref: int = 0) -> str:
    """Result cards; the i-th opens source `first_ref + i` of the session's list."""
    if not hits:
        return f'<p class="fx-empty fx-notfound">No results for <b>{html.escape(query)}</b>.</p>'
    terms = query_terms(query)
    strong = [is_strong(query, hit, hits) for hit in hits]
    cards = [] if any(strong) else [f'<p class="fx-notfound">{NOT_CLOSE}</p>']
    for rank, (hit, cue) in enumerate(zip(hits, strong, strict=True), start=1):
        link = f"{KB_PREFIX}c{first_ref + rank - 1}"
        path = [p for p in (hit.heading_path or []) if p != hit.title]
        heading = "".join(f" › {html.escape(p)}" for p in path)
        what = "article" if hit.doc_type == "kb" else hit.doc_type
        cards.append(
            '<div class="fx-hit">'
            f'<div class="fx-hit-title">{rank}. <a href="{link}"><b>{html.escape(hit.title)}</b>{heading}</a>'
            f"{relevance_cue(cue)}</div>"
            f'<div class="fx-hit-meta"><code>{html.escape(hit.source)}</code> · {html.escape(hit.doc_type)}</div>'
            f'<div class="fx-hit-snippet">{highlight(snippet(hit.text, terms), terms)}</div>'
            f'<a class="fx-hit-open" href="{link}">Open {what} ›</a>'
            "</div>"
        )
    return f'<div class="fx-results" data-count="{len(hits)}">' + "".join(cards) + "</div>"


def wanted_type(choice: str | None) -> DocType | None:
    """The dropdown's value as a document type ("all" is every type the role may see)."""
    return cast(DocType, choice) if choice in get_args(DocType) else None


def kb_links(markdown: str) -> str:
    """The chat renderer's reference links, pointed at this tab's panel."""
    return markdown.replace(f"]({REF_PREFIX}", f"]({KB_PREFIX}")


def answer_markdown(final: dict[str, Any], first_ref: int) -> str:
    """The final answer: `[n]` and the Sources line numbered alike (the numbers the answer itself uses), each
    opening source `first_ref + i` of the session's list."""
    answer = str(final.get("answer") or "")
    citations = [{}] * first_ref + list(final.get("citations") or [])
    kb_refs = [i for i in range(first_ref, len(citations)) if is_kb(citations[i])]
    numbers = number_sources(answer, citations, kb_refs)
    body = link_references(strip_sources_line(answer), {n: index for n, (index, _) in numbers.items()})
    return kb_links(body + sources_line(numbers))


def credits_line(final: dict[str, Any]) -> str:
    usage = final.get("usage") or {}
    return (
        f"This answer cost {usage.get('credits_charged', 0):,.3f} credits · "
        f"{final.get('credits_balance', 0):,.3f} credits left"
    )


def nearest_markdown(hits: list[SearchHit], first_ref: int) -> str:
    if not hits:
        return ""
    links = [f"[{_link_text(hit.title)}]({KB_PREFIX}c{first_ref + i})" for i, hit in enumerate(hits)]
    return "\n\n**Nearest articles** · " + " · ".join(links)


def _link_text(text: str) -> str:
    return re.sub(r"([\[\]\\*_`<>])", r"\\\1", text)


class KbTab:
    def __init__(self, services: UiServices, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
        with gr.Sidebar(position="right", open=False, width=440, elem_id="kb-panel", label="Article") as self.panel:
            self.panel_close = gr.Button("Close", size="sm", elem_id="kb-panel-close")
            self.article = gr.HTML("", elem_id="kb-article", js_on_load=PANEL_JS, head=CHAT_CSS + KB_CSS)
        with gr.Row():
            self.query = gr.Textbox(
                label="Search the knowledge base",
                placeholder="e.g. how do I list a product on Takealot?",
                elem_id="kb-query",
                scale=4,
            )
            self.doc_type = gr.Dropdown(TYPE_CHOICES, value="kb", label="Type", elem_id="kb-type", scale=1)
            self.k = gr.Slider(1, 20, value=5, step=1, label="Results", elem_id="kb-k", scale=1)
        with gr.Row():
            self.search = gr.Button("Search", variant="primary", elem_id="kb-search")
            self.answer = gr.Button("Answer with citations", elem_id="kb-answer")
        self.status = gr.Markdown("", elem_id="kb-status")
        self.answer_md = gr.Markdown("", elem_id="kb-answer-text")
        self.answer_credits = gr.Markdown("", elem_id="kb-answer-credits")
        self.results = gr.HTML("", elem_id="kb-results")
        self.bridge = gr.HTML(
            "", html_template="<span></span>", js_on_load=bridge_js(KB_PREFIX, "__fxKb"), elem_id="kb-bridge"
        )
        self.refs_state = gr.State([])  # every source shown in this session, what `#fx-kb:cN` points into
        # What a sign-in or sign-out empties: the previous user's searches and answers (another organisation's).
        self.cleared = [
            self.query,
            self.status,
            self.answer_md,
            self.answer_credits,
            self.results,
            self.refs_state,
            self.article,
            self.panel,
        ]

    def wire(self) -> None:
        search_inputs = [self.query, self.doc_type, self.k, self.key_state, self.refs_state]
        search_outputs = [self.results, self.status, self.refs_state]
        # No concurrency limit: one person's answer must not queue another's search (the services are thread-safe).
        searched = [self.search.click, self.query.submit]
        gr.on(searched, self.run_search, search_inputs, search_outputs, api_name="search", concurrency_limit=None)
        self.answer.click(
            self.run_answer,
            [self.query, self.key_state, self.refs_state],
            [self.answer_md, self.answer_credits, self.status, self.refs_state],
            api_name="answer",
            concurrency_limit=None,
        )
        opened = [self.panel, self.article]
        inputs = [self.bridge, self.key_state, self.refs_state]
        self.bridge.click(self.open_source, inputs, opened, api_name="open", concurrency_limit=None)
        self.panel_close.click(lambda: gr.Sidebar(open=False), None, self.panel, queue=False, api_visibility="private")

    def reset(self) -> tuple[Any, ...]:
        """Values for `cleared`."""
        return "", "", "", "", "", [], "", gr.Sidebar(open=False)

    def type_choices(self, principal: Principal | None) -> gr.Dropdown:
        """Called at sign-in: support staff see (and get) the help centre only."""
        if principal is not None:
            self.prepare(principal.org_id)
        if principal is not None and kb_only(principal.role):
            return gr.Dropdown(choices=TYPE_CHOICES[1:2], value="kb", interactive=False)
        return gr.Dropdown(choices=TYPE_CHOICES, value="kb", interactive=True)

    def prepare(self, org_id: str) -> None:
        """At sign-in, in the background: load the embedding model and the organisation's keyword index, which
        the first search would otherwise wait for (seconds; see benchmarks/kb_first_search.py)."""
        threading.Thread(target=warm_search, args=(self.services, org_id), name="kb-warm", daemon=True).start()

    def answer_button(self, principal: Principal | None) -> gr.Button:
        """Called at sign-in: the answer is a chat turn, offered to the roles that chat."""
        return gr.Button(visible=principal is not None and can(principal.role, Capability.chat))

    def run_search(
        self, query: str, doc_type: str, k: float, key: str, refs: list[dict[str, Any]]
    ) -> tuple[str, str, Any]:
        query = (query or "").strip()
        try:
            principal = require(self.services, key, Capability.search)
            if not query:
                raise Refusal("Type what you are looking for.")
            k = max(1, min(MAX_RESULTS, int(k or 5)))
            hits = app_search.search(self.services, principal, query, k, wanted_type(doc_type))
        except Exception as exc:  # shown as a message, never a traceback
            return "", f"⚠ {friendly_error(exc)}", gr.skip()
        refs = list(refs or [])
        status = f"{len(hits)} result{'s' if len(hits) != 1 else ''} for **{query}** · open one to read it whole"
        return results_html(hits, query, len(refs)), status, refs + [as_ref(hit) for hit in hits]

    def run_answer(self, query: str, key: str, refs: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        """Streams the answer as it is written; then the numbered sources, and the credits line under it."""
        query = (query or "").strip()
        refs = list(refs or [])
        request_id = new_request_id()
        try:
            principal = require(self.services, key, Capability.chat)
            if not query:
                raise Refusal("Type a question first.")
            events = self.services.assistant.stream(principal, ChatRequest(message=query), request_id)
            yield "", "", "_Writing the answer…_", gr.skip()
            final = yield from self._stream(events)
        except Exception as exc:
            yield gr.skip(), "", f"⚠ {friendly_error(exc, request_id)}", gr.skip()
            return
        if final is None:
            yield gr.skip(), "", "⚠ The assistant gave no answer. Please try again.", gr.skip()
            return
        answer = answer_markdown(final, len(refs))
        refs.extend(final.get("citations") or [])
        status = ""
        if final.get("pending_confirmation"):
            answer = CHANGE_ELSEWHERE
        elif not any(is_kb(c) for c in final.get("citations") or []):
            nearest = self._nearest(principal, query)
            answer += nearest_markdown(nearest, len(refs))
            refs.extend(as_ref(hit) for hit in nearest)
            status = "_No article answers this closely._" if nearest else ""
        yield answer, credits_line(final), status, refs

    def _stream(self, events: Iterator[StreamEvent]) -> Generator[tuple[Any, ...], None, dict[str, Any] | None]:
        """Yields the text so far (in batches); returns the final event's data (None if there was none)."""
        text, shown = "", 0.0
        for event in events:
            if event.event == "token":
                text += str(event.data.get("text", ""))
                if time.monotonic() - shown >= TOKEN_BATCH_SECONDS:
                    yield kb_links(render_answer(text, [], [], False)), "", gr.skip(), gr.skip()
                    shown = time.monotonic()
            elif event.event == "tool_call":
                yield gr.skip(), "", f"_{tool_label(str(event.data.get('tool', '')), done=False)}…_", gr.skip()
            elif event.event == "error":
                raise Refusal(str(event.data.get("message") or "the assistant could not answer"))
            elif event.event == "final":
                return event.data
        return None

    def _nearest(self, principal: Principal, query: str) -> list[SearchHit]:
        try:
            return app_search.search(self.services, principal, query, NEAREST, "kb")
        except Exception:  # the answer stands without them
            return []

    def open_source(self, ref: str, key: str | None, refs: list[dict[str, Any]]) -> tuple[Any, ...]:
        try:
            principal = require(self.services, key, Capability.search)
            body = render_reference(self.services, principal, ref, list(refs or []))
        except Exception as exc:
            body = f"<p>⚠ {html.escape(friendly_error(exc))}</p>"
        return gr.Sidebar(open=True), body


def warm_search(services: AppServices, org_id: str) -> None:
    """Run one search of the organisation, so the model and its indexes are in memory; failures only log."""
    try:
        services.searcher.search(org_id, "warm up", k=1, doc_type="kb")
    except Exception:  # warming is an optimisation; the real search reports its own errors
        log.warning("warming the search failed", exc_info=True)
