"""Sign-in and the checks every UI handler makes before it touches data.

Signing in turns the API key into a signed, expiring session token (`ui.session_token`); the token, never the
key, is what the page keeps (in a `gr.State` on the server, and in the browser's local storage so a reload stays
signed in). Every call resolves the token to a `Principal` again, exactly like the HTTP API does with its bearer
token: a revoked key stops working within 5 s (at once in the process that revoked it), a handler reached
directly through Gradio's API (hidden tabs still have endpoints) refuses a wrong role, and the per-key rate
limit of the API counts UI calls too.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from assistant.application import audit, identity
from assistant.application.policy import Capability, can, roles_for
from assistant.application.ratelimit import TokenBucketLimiter
from assistant.billing.ports import BillingServices
from assistant.ports import AppServices
from assistant.settings import Settings
from domain.audit import AuditAction, AuditOutcome
from domain.errors import DomainError, InsufficientCredits, InvalidInput, NotFound, QuotaExceeded
from domain.orgs import Principal
from ui.session_token import TokenSigner, is_token, load_secret

log = logging.getLogger(__name__)

TAB_IDS = ("chat", "kb", "credits", "admin")

WRONG_KEY = "That API key is not valid (unknown or revoked). Check it, or pick a demo key, and sign in again."
NOT_SIGNED_IN = "Sign in with an API key first."


class Refusal(Exception):
    """A reason to stop a UI action that the user should read as it is (no traceback, no internals)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_request_id() -> str:
    # Each UI action is one request: credits are reserved and settled under this id, so it must be unique.
    return f"ui-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Gate:
    """What one server signs sessions and limits calls with; `limiter` is the API's own (one bucket per key)."""

    signer: TokenSigner
    limiter: TokenBucketLimiter

    @classmethod
    def build(cls, settings: Settings, limiter: TokenBucketLimiter) -> Gate:
        return cls(TokenSigner(load_secret(settings.data_dir, settings.session_secret)), limiter)


class UiServices(AppServices, BillingServices, Protocol):
    """What the UI uses of the composition root: the application's services, billing's and the gate."""

    @property
    def gate(self) -> Gate: ...


def authenticate(services: UiServices, credential: str | None) -> Principal | None:
    """The principal of a session token (what the UI keeps) or of an API key (what the user types)."""
    credential = (credential or "").strip()
    if not credential:
        return None
    if is_token(credential):
        key_id = services.gate.signer.key_id(credential)
        return identity.principal_of_key_id(services, key_id) if key_id else None
    return identity.principal_of_key(services, credential)


def start_session(services: UiServices, key: str) -> tuple[Principal, str] | None:
    """Sign in with an API key: its principal and a session token for it, or None for a wrong key."""
    principal = identity.principal_of_key(services, key.strip()) if key and not is_token(key) else None
    audit.record(
        services,
        principal.org_id if principal else None,  # a wrong key has no organisation: its JSON line only
        AuditAction.sign_in,
        actor_key_id=principal.key_id if principal else "",  # never any part of a wrong key
        role=principal.role if principal else "",
        target="ui",
        outcome=AuditOutcome.ok if principal else AuditOutcome.refused,
        request_id=new_request_id(),
    )
    return (principal, services.gate.signer.issue(principal.key_id)) if principal else None


def roles_text(capability: Capability) -> str:
    """The roles that have `capability`, in words ("merchant or admin"), for refusals."""
    return " or ".join(role.value for role in roles_for(capability))


def require(services: UiServices, key: str | None, capability: Capability, audited: bool = True) -> Principal:
    """The principal of the signed-in session if its role has `capability`, else a Refusal saying why not (and,
    when `audited`, a `role_refused` record: views that quietly show nothing to other roles are not refusals)."""
    if not key:
        raise Refusal(NOT_SIGNED_IN)
    principal = authenticate(services, key)
    if principal is None:
        raise Refusal("Your session has ended or your API key was revoked; sign in again.")
    if not can(principal.role, capability):
        if audited:
            target, needs = f"ui:{capability.value}", {"needs": capability.value}
            audit.record_as(services, principal, AuditAction.role_refused, target, AuditOutcome.refused, needs)
        raise Refusal(f"This needs the {roles_text(capability)} role; you are signed in as {principal.role.value}.")
    wait = services.gate.limiter.acquire(principal.key_id)
    if wait > 0:
        raise Refusal(f"Too many requests with this API key; try again in {TokenBucketLimiter.retry_after(wait)} s.")
    return principal


def signed_in(services: UiServices, key: str | None, capability: Capability) -> Principal | None:
    """`require`, or None instead of its Refusal (for views that then show nothing rather than a message)."""
    try:
        return require(services, key, capability, audited=False) if key else None
    except Refusal:
        return None


def friendly_error(exc: BaseException, request_id: str = "") -> str:
    """A message for the person at the screen. Domain errors already say what to fix; anything else is ours."""
    if isinstance(exc, Refusal):
        return exc.message
    if isinstance(exc, InsufficientCredits):
        return f"Out of AI credits: {exc.message}"
    if isinstance(exc, QuotaExceeded):
        hours = max(1, round(exc.retry_after_seconds / 3600))
        return f"Daily AI quota reached: {exc.message} (about {hours} h from now)."
    if isinstance(exc, InvalidInput):
        return f"Please change the input: {exc.message}"
    if isinstance(exc, ValidationError):  # a request the page built from what was typed (e.g. too long)
        detail = "; ".join(str(error.get("msg", "")) for error in exc.errors()) or str(exc)
        return f"Please change the input: {detail}"
    if isinstance(exc, NotFound):
        return f"Not found: {exc.message}"
    if isinstance(exc, DomainError):
        return exc.message
    log.error("ui action failed", exc_info=exc, extra={"request_id": request_id})
    reference = f" (reference {request_id})" if request_id else ""
    return f"Something went wrong on our side{reference}. Please try again in a moment."


def demo_key_choices(services: UiServices) -> list[tuple[str, str]]:
    """(label, key) pairs of the documented demo keys; only offered in local mode."""
    if services.settings.mode != "local":
        return []
    from domain.demo import DEMO_KEYS, DEMO_ORGS

    names = {org.id: org.name for org in DEMO_ORGS}
    return [(f"{names.get(org_id, org_id)} · {role.value}", key) for key, (org_id, role) in DEMO_KEYS.items()]


def signed_in_text(services: UiServices, principal: Principal) -> str:
    label = f" ({principal.label})" if principal.label else ""
    return (
        f"Signed in to **{identity.org_name(services, principal)}** (`{principal.org_id}`) "
        f"as **{principal.role.value}**{label}."
    )
