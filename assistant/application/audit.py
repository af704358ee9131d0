"""The audit log as the application writes and reads it: `record` for every audited action (the API, the UI, the
CLI and PayFast's notification call it), `latest` for the admins who read it (`GET /v1/audit`, the Admin tab).

Each record is stored (`domain.audit`) and written as one JSON log line with the same fields, so the trail is in
the log pipeline even when Firestore is not. A record that cannot be stored never undoes or fails the action it
describes (that already happened); its line is then written at ERROR, with the reason, so that it is seen and not
silently lost. Only a key's id (its hash) is recorded, never the key.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from assistant.application.policy import Capability, check
from domain.audit import DEFAULT_LIMIT, AuditAction, AuditEntry, AuditOutcome, AuditPage
from domain.orgs import Principal, Role
from domain.ports import AuditLog

log = logging.getLogger(__name__)  # under `assistant`: the service's JSON handler writes it (app.api.logging)

OPERATOR = "operator"  # the role of the CLI: whoever holds the database's credentials
SYSTEM = "system"  # the role of PayFast's notification: no key, checked as PayFast's


class AuditServices(Protocol):
    """What recording needs of the composition root (`assistant.ports.Repositories` has both)."""

    @property
    def audit(self) -> AuditLog: ...

    def request_id(self) -> str: ...


def record(
    services: AuditServices,
    org_id: str | None,
    action: AuditAction | str,
    *,
    actor_key_id: str,
    role: Role | str,
    target: str,
    outcome: AuditOutcome | str = AuditOutcome.ok,
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Store one record in `org_id`'s audit log and write its JSON line. `request_id` None: the API request being
    served, if any. `org_id` None (a sign-in with an unknown key has no organisation): the line only."""
    entry = AuditEntry(
        action=AuditAction(action),
        actor_key_id=actor_key_id,
        role=str(role),
        target=target,
        outcome=AuditOutcome(outcome),
        request_id=services.request_id() if request_id is None else request_id,
        details=details or {},
    )
    level, problem = logging.INFO, None
    if org_id is not None:
        try:
            entry = services.audit.append(org_id, entry)
        except Exception as exc:  # the action is done: its record must not turn it into a failure
            level, problem = logging.ERROR, f"{type(exc).__name__}: {exc}"
    fields: dict[str, Any] = entry.model_dump(mode="json", exclude={"id"}) | {"audit_id": entry.id, "org_id": org_id}
    if problem is not None:
        fields["audit_not_stored"] = problem
    log.log(level, "audit %s %s", entry.action.value, entry.outcome.value, extra=fields)
    return entry


def record_as(
    services: AuditServices,
    principal: Principal,
    action: AuditAction | str,
    target: str,
    outcome: AuditOutcome | str = AuditOutcome.ok,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """`record` of an action of an API key's holder (API or UI), in its own organisation."""
    return record(
        services,
        principal.org_id,
        action,
        actor_key_id=principal.key_id,
        role=principal.role,
        target=target,
        outcome=outcome,
        details=details,
    )


def latest(
    services: AuditServices,
    principal: Principal,
    action: AuditAction | str | None = None,
    limit: int = DEFAULT_LIMIT,
    before: str | None = None,
) -> AuditPage:
    """The caller's organisation's records, newest first (the organisation is the key's, never asked for)."""
    check(principal, Capability.audit)
    return services.audit.list(principal.org_id, action=action, limit=limit, before=before)
