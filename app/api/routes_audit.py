"""GET /v1/audit: the organisation's audit log (admin), newest first, a page at a time.

The organisation is the key's: there is no parameter naming one, so another organisation's records cannot be
asked for. `before` is the `next_before` of the previous page (an opaque cursor).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.deps import AuditReader, ServicesDep
from app.api.errors import doc
from assistant.application import audit as app_audit
from domain.audit import DEFAULT_LIMIT, MAX_LIMIT, AuditAction, AuditEntry, AuditOutcome

router = APIRouter(prefix="/v1", tags=["admin"])


class AuditItem(BaseModel):
    at: datetime
    action: AuditAction
    actor_key_id: str = Field(description="The id (hash) of the key that acted, `cli` or `payfast`; never a key")
    role: str = Field(description="merchant, support or admin; operator for the CLI, system for PayFast")
    target: str = Field(description="What was acted on: a key id, ledger entry, invoice, document id, METHOD PATH")
    outcome: AuditOutcome
    request_id: str = Field(description="The request it was part of (empty outside an API request)")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditItem:
        return cls.model_validate(entry.model_dump(include=set(cls.model_fields)))


class AuditList(BaseModel):
    entries: list[AuditItem] = Field(description="Newest first")
    next_before: str | None = Field(description="Pass as `before` for the next (older) page; null on the last")


@router.get(
    "/audit",
    response_model=AuditList,
    summary="The organisation's audit log (admin)",
    description="Who did what and when: keys created and revoked, credits granted and bought, quota changes, "
    "documents uploaded, deleted and re-indexed, sign-ins and refused roles. Newest first; `action` keeps one "
    "kind. Records are kept for the retention period (`FLUXORI_AUDIT_RETENTION_DAYS`, 400 days by default).",
    responses=doc(401, 403, 422, 429, 503),
)
def list_audit(
    principal: AuditReader,
    services: ServicesDep,
    action: Annotated[AuditAction | None, Query(description="Only this action")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many entries")] = DEFAULT_LIMIT,
    before: Annotated[str | None, Query(max_length=64, description="`next_before` of the previous page")] = None,
) -> AuditList:
    page = app_audit.latest(services, principal, action=action, limit=limit, before=before)
    return AuditList(entries=[AuditItem.of(e) for e in page.entries], next_before=page.next_before)
