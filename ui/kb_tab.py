"""Knowledge-base tab: ranked search results with the query terms in bold, and an answer with citations.

Support staff search the help centre only (their role is read-only knowledge work; product and order documents
carry customer data), merchants and admins may also search products and orders. The answer goes through the
assistant service with the caller's own principal, so the service's role rules (support: KB tools only) apply.
"""

from __future__ import annotations

import html
import re
from typing import Any

import gradio as gr

from assistant.contracts import ChatRequest
from assistant.kb import audiences_for
from domain.orgs import Principal, Role
from ui.chat_tab import citations_markdown, credits_markdown
from ui.session import Refusal, friendly_error, new_request_id, require

TYPE_CHOICES = [("All", "all"), ("Help centre (KB)", "kb"), ("Products", "product"), ("Orders", "order")]
KB_ONLY_ROLES = (Role.support,)
MAX_QUERY_CHARS = 500
SNIPPET_CHARS = 360
STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by can do does for from how i in is it my of on or our the to we what when where which "
        "who why will with you your",
    )
)
MARKUP = re.compile(r"\*\*|__|`|^#+ |(?<=\s)#+ ", re.MULTILINE)
NO_INDEX = (
    "Knowledge-base search is not available yet: this server has no search index. "
    "Load the knowledge base with `fluxori ingest` (or the Admin tab) and try again."
)


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


def results_html(hits: list[Any], query: str) -> str:
    if not hits:
        return f'<p class="fx-empty">No results for <b>{html.escape(query)}</b>.</p>'
    terms = query_terms(query)
    cards = []
    for rank, hit in enumerate(hits, start=1):
        path = [p for p in (hit.heading_path or []) if p != hit.title]
        heading = "".join(f" › {html.escape(p)}" for p in path)
        cards.append(
            '<div class="fx-hit">'
            f'<div class="fx-hit-title">{rank}. <b>{html.escape(hit.title)}</b>{heading}</div>'
            f'<div class="fx-hit-meta"><code>{html.escape(hit.source)}</code> · {html.escape(hit.doc_type)} · '
            f"score {hit.score:.3f}</div>"
            f'<div class="fx-hit-snippet">{highlight(snippet(hit.text, terms), terms)}</div>'
            "</div>"
        )
    return f'<div class="fx-results" data-count="{len(hits)}">' + "".join(cards) + "</div>"


def allowed_type(principal: Principal, doc_type: str | None) -> str | None:
    """The doc type to search: support staff are held to the help centre whatever they ask for."""
    if principal.role in KB_ONLY_ROLES:
        return "kb"
    return None if doc_type in (None, "", "all") else doc_type


class KbTab:
    def __init__(self, services: Any, key_state: gr.State) -> None:
        self.services = services
        self.key_state = key_state
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
        self.results = gr.HTML("", elem_id="kb-results")

    def wire(self) -> None:
        self.search.click(
            self.run_search,
            [self.query, self.doc_type, self.k, self.key_state],
            [self.results, self.status],
            api_name="search",
        )
        self.query.submit(
            self.run_search,
            [self.query, self.doc_type, self.k, self.key_state],
            [self.results, self.status],
            api_visibility="private",
        )
        self.answer.click(
            self.run_answer, [self.query, self.key_state], [self.answer_md, self.status], api_name="answer"
        )

    def type_choices(self, principal: Principal | None) -> gr.Dropdown:
        """Called at sign-in: support staff see (and get) the help centre only."""
        if principal is not None and principal.role in KB_ONLY_ROLES:
            return gr.Dropdown(choices=TYPE_CHOICES[1:2], value="kb", interactive=False)
        return gr.Dropdown(choices=TYPE_CHOICES, value="kb", interactive=True)

    def run_search(self, query: str, doc_type: str, k: float, key: str) -> tuple[str, str]:
        query = (query or "").strip()
        try:
            principal = require(self.services, key, list(Role))
            if not query:
                raise Refusal("Type what you are looking for.")
            if len(query) > MAX_QUERY_CHARS:
                raise Refusal(f"Please shorten the search to {MAX_QUERY_CHARS} characters (it has {len(query)}).")
            searcher = self.services.searcher
            if searcher is None:
                raise Refusal(NO_INDEX)
            k = max(1, min(20, int(k or 5)))
            audiences = audiences_for(principal.role)
            hits = searcher.search(
                principal.org_id, query, k=k, doc_type=allowed_type(principal, doc_type), audiences=audiences
            )
        except Exception as exc:  # shown as a message, never a traceback
            return "", f"⚠ {friendly_error(exc)}"
        return results_html(hits, query), f"{len(hits)} result{'s' if len(hits) != 1 else ''} for **{query}**"

    def run_answer(self, query: str, key: str) -> tuple[str, str]:
        query = (query or "").strip()
        request_id = new_request_id()
        try:
            principal = require(self.services, key, list(Role))
            if not query:
                raise Refusal("Type a question first.")
            response = self.services.assistant.chat(principal, ChatRequest(message=query), request_id)
        except Exception as exc:
            return "", f"⚠ {friendly_error(exc, request_id)}"
        final = response.model_dump(mode="json")
        parts = [response.answer or "_The assistant gave no answer._"]
        if response.pending_confirmation:
            parts.append(
                "_That asks for a change; changes are proposed and confirmed in the Chat tab. Nothing was changed._"
            )
        if response.citations:
            parts.append("**Sources**\n\n" + citations_markdown(final["citations"]))
        else:
            parts.append("_No sources were cited._")
        return "\n\n".join(parts), credits_markdown(final)
