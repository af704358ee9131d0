"""The help centre and the product and order documents, searched."""

from __future__ import annotations

from typing import Literal

from langchain.tools import tool

from assistant.contracts import Citation
from assistant.kb_answers import knowledge_result
from assistant.tools.context import Result, Runtime, fail, ok
from assistant.tools.spec import ToolSpec


@tool(response_format="content_and_artifact")
def search_knowledge_base(
    query: str, runtime: Runtime, doc_type: Literal["kb", "product", "order"] | None = "kb"
) -> Result:
    """Search the help centre (doc_type "kb"), or the product and order documents, for passages about the query.
    Use it for how-to questions about Fluxori, channels, importing, customs, VAT, credits and operations.
    Passages are numbered: cite passage n as [n]. If "found" is false, say the knowledge base has no answer."""
    ctx = runtime.context
    if ctx.searcher is None:
        return fail("the knowledge base is not available right now")
    ctx.embedded_chars.append(len(query))
    if doc_type == "kb":
        data, citations = knowledge_result(ctx.searcher, ctx.org_id, query, ctx.audiences)
        # The judge's scores are for the answer log (reviewing "not found"), not for the model: its tokens cost.
        content, artifact = ok({k: v for k, v in data.items() if k != "judge"}, citations)
        artifact["data"] = data
        return content, artifact
    hits = ctx.searcher.search(ctx.org_id, query, k=4, doc_type=doc_type, audiences=ctx.audiences)
    passages = [
        {"number": n, "source": h.source, "title": h.title, "text": h.text} for n, h in enumerate(hits, start=1)
    ]
    citations = [Citation(source=h.source, title=h.title, snippet=h.text[:200]) for h in hits]
    return ok({"query": query, "found": bool(hits), "passages": passages}, citations)


SEARCH_KNOWLEDGE_BASE = ToolSpec(
    search_knowledge_base,
    label="a help-centre article",
    running="Searching the help centre",
    done="Searched the help centre",
)
