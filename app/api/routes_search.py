"""GET /v1/search: hybrid search over the caller's organisation's knowledge base, products and orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SearchCaller, ServicesDep
from app.api.errors import doc
from app.api.schemas import SearchHitOut, SearchResults
from assistant.application import search as app_search
from retrieval.types import DocType

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Search the knowledge base, products and orders",
    description="Ranked passages of the caller's organisation only. Not charged to AI credits. Support keys "
    "search the knowledge base only (no type, or `type=kb`; another type is 403).",
    responses=doc(401, 403, 422, 429),
)
def search(
    principal: SearchCaller,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=app_search.MAX_QUERY_CHARS, description="What to look for")],
    k: Annotated[int, Query(ge=1, le=app_search.MAX_K, description="How many results")] = 5,
    doc_type: Annotated[DocType | None, Query(alias="type", description="Only this kind of document")] = None,
) -> SearchResults:
    hits = app_search.search(services, principal, q, k, doc_type)
    return SearchResults(
        query=q.strip(),
        type=app_search.scope(principal, doc_type),
        hits=[SearchHitOut.model_validate(h, from_attributes=True) for h in hits],
    )
