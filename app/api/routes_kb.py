"""GET /v1/kb/{doc_id}: one knowledge-base article, whole, for the caller's organisation and audience.

The organisation and the audiences come from the API key (merchants read public articles; support staff and
admins also internal ones); an article outside them is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.api.deps import SearchCaller, ServicesDep
from app.api.errors import doc
from assistant.application import search as app_search
from assistant.kb import Article

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
    principal: SearchCaller,
    services: ServicesDep,
    doc_id: Annotated[str, Path(min_length=1, max_length=1000, description="The article's document id")],
) -> Article:
    return app_search.article(services, principal, doc_id)
