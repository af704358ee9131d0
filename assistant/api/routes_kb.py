"""GET /v1/kb/{doc_id}: one knowledge-base article, whole, for the caller's organisation and audience.

The organisation and the audiences come from the API key (merchants read public articles; support staff and
admins also internal ones); an article outside them is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from assistant.api.auth import SEARCH_ROLES, require
from assistant.api.errors import ApiError, doc
from assistant.kb import Article, audiences_for, get_article
from domain.orgs import Principal

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/kb/{doc_id:path}",
    response_model=Article,
    summary="Read one knowledge-base article",
    description=(
        "The article a citation names (`citations[].doc_id`), as sections with their heading paths. "
        "Ids contain `/` and `:` (`demo:channels/connect-takealot.md`, `gs://bucket/kb/org/file.md`)."
    ),
    responses=doc(401, 403, 404, 429, 503),
)
def read_article(
    request: Request,
    principal: Annotated[Principal, Depends(require(*SEARCH_ROLES))],
    doc_id: Annotated[str, Path(min_length=1, max_length=1000, description="The article's document id")],
) -> Article:
    searcher = request.app.state.services.searcher
    if searcher is None:
        raise ApiError(503, "unavailable", "the knowledge base is not available on this server: no search index")
    return get_article(searcher, principal.org_id, doc_id, audiences_for(principal.role))
