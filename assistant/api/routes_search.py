"""GET /v1/search: hybrid search over the caller's organisation's knowledge base, products and orders."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from assistant.api.auth import SEARCH_ROLES, require
from assistant.api.errors import ApiError, doc
from assistant.api.schemas import SearchHitOut, SearchResults
from assistant.kb import audiences_for
from domain.orgs import Principal

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Search the knowledge base, products and orders",
    description="Ranked passages of the caller's organisation only. Not charged to AI credits.",
    responses=doc(401, 403, 422, 429, 503),
)
def search(
    request: Request,
    principal: Annotated[Principal, Depends(require(*SEARCH_ROLES))],
    q: Annotated[str, Query(min_length=1, max_length=500, description="What to look for")],
    k: Annotated[int, Query(ge=1, le=50, description="How many results")] = 5,
    doc_type: Annotated[
        Literal["kb", "product", "order"] | None, Query(alias="type", description="Only this kind of document")
    ] = None,
) -> SearchResults:
    searcher = request.app.state.services.searcher
    if searcher is None:
        raise ApiError(
            503,
            "unavailable",
            "search is not available on this server: no search index is configured yet "
            "(build one with `fluxori ingest kb` and `fluxori ingest catalog`)",
        )
    query = q.strip()
    if not query:
        raise ApiError(422, "validation_error", "the request is invalid: q (query): must contain a search term")
    hits = searcher.search(principal.org_id, query, k, doc_type, audiences=audiences_for(principal.role))
    return SearchResults(
        query=query,
        type=doc_type,
        hits=[SearchHitOut.model_validate(h, from_attributes=True) for h in hits],
    )
