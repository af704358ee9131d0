"""The organisation's indexed knowledge-base documents (admin): list, delete one, re-index one.

The logic is `assistant.application.documents`, shared with the UI's Admin tab. Document ids contain `/` and `:`
(`upload:returns.md`, `demo:channels/connect-takealot.md`, `gs://bucket/kb/org/a.md`), so they are the rest of the
path; another organisation's id is a 404 like an unknown one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from app.api.deps import Ingester, ServicesDep
from app.api.errors import doc
from assistant.application import documents as app_documents
from assistant.application.documents import MAX_DOC_ID_CHARS, DocumentInfo

router = APIRouter(prefix="/v1", tags=["admin"])
DocId = Annotated[
    str,
    Path(min_length=1, max_length=MAX_DOC_ID_CHARS, description="The document id, as `GET /v1/documents` lists it"),
]


class DocumentList(BaseModel):
    count: int
    documents: list[DocumentInfo] = Field(description="The last indexed first")


class DeletedOut(BaseModel):
    document: DocumentInfo = Field(description="The document as it was before the deletion")
    message: str = Field(description="What was removed, and whether a later run of its source adds it again")


class ReindexOut(BaseModel):
    doc_id: str
    outcome: Literal["added", "updated", "unchanged", "deleted", "failed"] = Field(
        description="updated: its file changed and was indexed again; deleted: its file is gone from its source"
    )
    message: str
    document: DocumentInfo | None = Field(description="The document now; null once deleted")


@router.get(
    "/documents",
    response_model=DocumentList,
    summary="The organisation's indexed knowledge-base documents (admin)",
    description="Every knowledge-base document in the index: its id, name, title, source (upload, demo, folder, "
    "bucket), status (indexed, or pending when a run stopped half-way), size, chunks and when it was last indexed.",
    responses=doc(401, 403, 429, 503),
)
def list_documents(principal: Ingester, services: ServicesDep) -> DocumentList:
    documents = app_documents.list_documents(services, principal)
    return DocumentList(count=len(documents), documents=documents)


@router.post(
    "/documents/{doc_id:path}/reindex",
    response_model=ReindexOut,
    summary="Re-index one knowledge-base document from its file (admin)",
    description="Reads the document's file again and indexes it if it changed; a file gone from its source is "
    "removed from the index. Answers when done.",
    responses=doc(401, 403, 404, 422, 429, 503),
)
def reindex_document(principal: Ingester, services: ServicesDep, doc_id: DocId) -> ReindexOut:
    done = app_documents.reindex_document(services, principal, doc_id)
    return ReindexOut(doc_id=done.doc_id, outcome=done.outcome, message=done.message, document=done.document)


@router.delete(
    "/documents/{doc_id:path}",
    response_model=DeletedOut,
    summary="Delete one knowledge-base document from the index (admin)",
    description="Removes its passages from the search index and its record; an uploaded document's file is "
    "removed too. A folder's, a bucket's or the demo help centre's file stays, so the next run of that source "
    "adds it again (the message says so).",
    responses=doc(401, 403, 404, 422, 429, 503),
)
def delete_document(principal: Ingester, services: ServicesDep, doc_id: DocId) -> DeletedOut:
    deleted = app_documents.delete_document(services, principal, doc_id)
    return DeletedOut(document=deleted.document, message=deleted.message)
