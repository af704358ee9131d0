"""The audit log: one append-only record per security- or money-relevant action, `orgs/ORG/audit/ID`.

Who (the key id and role of the caller, never the key), what (the action and its target), when, the request id
and the outcome. The repository can only add and read records: there is no update and no delete, so a record
once written stays as it was until Firestore's TTL policy (collection group `audit`, field `expires_at`) removes
it after the retention period.

An entry's id starts with its time in UTC (`20250301T081502123456Z-1f2e3d4c5b6a`), so ordering by id is ordering
by time with ties broken, and an id is also the cursor of the next page: `list(before=ID)` gives the entries older
than ID. A cursor from another organisation only says "older than this instant": it never reaches that
organisation's records, which live under its own document.
"""

from __future__ import annotations

import builtins
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field, model_validator

from domain.errors import Conflict, InvalidInput
from domain.store import Store, utcnow

COLLECTION = "audit"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
ENTRY_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{12}$")


class AuditAction(StrEnum):
    key_created = "key_created"
    key_revoked = "key_revoked"
    credits_granted = "credits_granted"
    credits_bought = "credits_bought"
    quota_changed = "quota_changed"
    document_uploaded = "document_uploaded"
    document_deleted = "document_deleted"
    document_reindexed = "document_reindexed"
    sign_in = "sign_in"
    role_refused = "role_refused"
    webhook_registered = "webhook_registered"
    webhook_removed = "webhook_removed"


class AuditOutcome(StrEnum):
    ok = "ok"
    refused = "refused"
    failed = "failed"


def entry_id(at: datetime) -> str:
    """A new id for an entry made at `at`: its UTC time to the microsecond, then 12 random hex digits."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:12]}"


class AuditEntry(BaseModel):
    """One record. `role` is the actor's: merchant, support or admin for an API key, `operator` for the CLI (run
    by whoever holds the database's credentials), `system` for PayFast's notification, empty for an unknown key."""

    id: str = ""  # made from `at` when empty (see `entry_id`)
    at: datetime = Field(default_factory=utcnow)
    action: AuditAction
    actor_key_id: str = ""
    role: str = ""
    target: str = ""
    outcome: AuditOutcome = AuditOutcome.ok
    request_id: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    expires_at: datetime | None = None  # set by `AuditRepository.append` from its retention

    @model_validator(mode="after")
    def _id_from_time(self) -> AuditEntry:
        if not self.id:
            self.id = entry_id(self.at)
        return self


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]  # newest first
    next_before: str | None  # the cursor of the next (older) page; None when this was the last


def _action(action: AuditAction | str | None) -> AuditAction | None:
    if action is None or action == "":
        return None
    try:
        return AuditAction(action)
    except ValueError:
        valid = ", ".join(a.value for a in AuditAction)
        raise InvalidInput(f"there is no audit action {action!r}; use one of: {valid}") from None


class AuditRepository:
    """Append and read an organisation's audit records (no update, no delete: see the module's docstring)."""

    def __init__(self, store: Store, retention_days: int) -> None:
        if retention_days < 1:
            raise InvalidInput(f"keep audit records for at least 1 day (not {retention_days})")
        self.store = store
        self.retention = timedelta(days=retention_days)

    def _col(self, org_id: str) -> firestore.CollectionReference:
        return self.store.col(org_id, COLLECTION)

    def append(self, org_id: str, entry: AuditEntry) -> AuditEntry:
        """Store `entry` as a new document (create, never overwrite); returns it with its `expires_at`."""
        if not ENTRY_ID.match(entry.id):
            raise InvalidInput(f"audit entry id {entry.id!r} is not one `entry_id` makes")
        stored = entry.model_copy(update={"expires_at": entry.at + self.retention})
        try:
            self._col(org_id).document(stored.id).create(stored.model_dump(mode="python"))
        except gexc.Conflict as exc:  # ids are random past the microsecond: only a replayed entry gets here
            raise Conflict(f"audit entry {stored.id} exists already; records are never replaced") from exc
        return stored

    def list(
        self,
        org_id: str,
        action: AuditAction | str | None = None,
        limit: int = DEFAULT_LIMIT,
        before: str | None = None,
    ) -> AuditPage:
        """The organisation's entries newest first, at most `limit`; `action` keeps one action's; `before` (the
        `next_before` of the previous page) continues after that entry."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"ask for 1 to {MAX_LIMIT} audit entries (not {limit})")
        if before and not ENTRY_ID.match(before):
            raise InvalidInput("`before` is not an audit cursor: pass the `next_before` of the previous page")
        query: firestore.CollectionReference | firestore.Query = self._col(org_id)
        if (kind := _action(action)) is not None:  # with the order below: the composite index (action, id desc)
            query = query.where(filter=FieldFilter("action", "==", kind.value))
        if before:
            query = query.where(filter=FieldFilter("id", "<", before))
        query = query.order_by("id", direction=firestore.Query.DESCENDING).limit(limit + 1)
        entries: builtins.list[AuditEntry] = [AuditEntry(**(snap.to_dict() or {})) for snap in query.stream()]
        more = len(entries) > limit
        entries = entries[:limit]
        return AuditPage(entries=entries, next_before=entries[-1].id if more else None)
