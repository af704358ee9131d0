"""Search as the API, the UI and the CLI offer it: the caller's organisation, and the document types its role
may see (support staff: the knowledge base only)."""

from __future__ import annotations

from assistant.application.policy import Capability, Forbidden, audiences_for, check, kb_only
from assistant.kb import Article, get_article
from assistant.ports import AppServices
from domain.errors import InvalidInput
from domain.orgs import Principal
from retrieval.types import DocType, SearchHit

MAX_QUERY_CHARS = 500
MAX_K = 50


def scope(principal: Principal, doc_type: DocType | None) -> DocType | None:
    """The document type to search: None is every type the role may see."""
    if kb_only(principal.role):
        if doc_type not in (None, "kb"):
            raise Forbidden(f"a {principal.role.value} key searches the knowledge base only (type kb), not {doc_type}")
        return "kb"
    return doc_type


def search(
    services: AppServices, principal: Principal, query: str, k: int = 5, doc_type: DocType | None = None
) -> list[SearchHit]:
    check(principal, Capability.search)
    query = query.strip()
    if not query:
        raise InvalidInput("type what you are looking for: the search is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"shorten the search to {MAX_QUERY_CHARS} characters (it has {len(query)})")
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"ask for 1 to {MAX_K} results (not {k})")
    return services.searcher.search(
        principal.org_id, query, k=k, doc_type=scope(principal, doc_type), audiences=audiences_for(principal.role)
    )


def article(services: AppServices, principal: Principal, doc_id: str) -> Article:
    """One knowledge-base article, whole, if it is in the caller's organisation and audiences (else NotFound)."""
    check(principal, Capability.search)
    return get_article(services.searcher, principal.org_id, doc_id, audiences_for(principal.role))
