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
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from assistant.application.ratelimit import TokenBucketLimiter
from domain.errors import DomainError, InsufficientCredits, InvalidInput, NotFound, QuotaExceeded
from domain.orgs import Principal, Role
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


@dataclass
class Gate:
    """What one server uses to sign sessions and limit calls; one per `Services` (see `gate`)."""

    signer: TokenSigner
    limiter: TokenBucketLimiter


_GATES: weakref.WeakKeyDictionary[Any, Gate] = weakref.WeakKeyDictionary()


def gate(services: Any) -> Gate:
    if services not in _GATES:
        settings = services.settings
        _GATES[services] = Gate(
            TokenSigner(load_secret(settings.data_dir, settings.session_secret)),
            TokenBucketLimiter(settings.rate_limit_per_minute),
        )
    return _GATES[services]


def share_limiter(services: Any, limiter: TokenBucketLimiter) -> None:
    """Count UI calls in the same per-key buckets as the API's (called when the UI is mounted on the API app)."""
    gate(services).limiter = limiter


def authenticate(services: Any, credential: str | None) -> Principal | None:
    """The principal of a session token (what the UI keeps) or of an API key (what the user types)."""
    credential = (credential or "").strip()
    if not credential:
        return None
    if is_token(credential):
        key_id = gate(services).signer.key_id(credential)
        return services.api_keys.by_id(key_id) if key_id else None
    return services.api_keys.authenticate(credential)


def start_session(services: Any, key: str) -> tuple[Principal, str] | None:
    """Sign in with an API key: its principal and a session token for it, or None for a wrong key."""
    principal = services.api_keys.authenticate(key.strip()) if key and not is_token(key) else None
    return (principal, gate(services).signer.issue(principal.key_id)) if principal else None


def require(services: Any, key: str | None, roles: Iterable[Role]) -> Principal:
    """The principal of the signed-in session, or a Refusal saying why this action is not allowed."""
    if not key:
        raise Refusal(NOT_SIGNED_IN)
    principal = authenticate(services, key)
    if principal is None:
        raise Refusal("Your session has ended or your API key was revoked; sign in again.")
    allowed = tuple(roles)
    if principal.role not in allowed:
        names = " or ".join(role.value for role in allowed)
        raise Refusal(f"This needs the {names} role; you are signed in as {principal.role.value}.")
    wait = gate(services).limiter.acquire(principal.key_id)
    if wait > 0:
        raise Refusal(f"Too many requests with this API key; try again in {TokenBucketLimiter.retry_after(wait)} s.")
    return principal


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


def org_name(services: Any, org_id: str) -> str:
    try:
        return services.orgs.get(org_id).name
    except DomainError:
        return org_id


def demo_key_choices(services: Any) -> list[tuple[str, str]]:
    """(label, key) pairs of the documented demo keys; only offered in local mode."""
    if services.settings.mode != "local":
        return []
    from domain.demo import DEMO_KEYS, DEMO_ORGS

    names = {org.id: org.name for org in DEMO_ORGS}
    return [(f"{names.get(org_id, org_id)} · {role.value}", key) for key, (org_id, role) in DEMO_KEYS.items()]


def signed_in_text(services: Any, principal: Principal) -> str:
    label = f" ({principal.label})" if principal.label else ""
    return (
        f"Signed in to **{org_name(services, principal.org_id)}** (`{principal.org_id}`) "
        f"as **{principal.role.value}**{label}."
    )
