"""Who is calling: `Authorization: Bearer <API key>` resolved to a Principal (organisation, role), role checks,
and the per-key rate limit. The organisation of every request comes from here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api import context
from app.api.errors import ApiError
from assistant.application import audit
from assistant.application.policy import Capability, roles_for
from assistant.application.ratelimit import TokenBucketLimiter
from assistant.ports import Repositories
from domain.audit import AuditAction, AuditOutcome
from domain.orgs import KEY_CACHE_SECONDS, Principal
from domain.ports import ApiKeys

UNKNOWN_KEYS_PER_MINUTE = 30  # per client address: lookups of keys that turn out unknown (each a Firestore read)

bearer = HTTPBearer(
    auto_error=False,  # we answer a missing key ourselves, with the standard error body and WWW-Authenticate
    scheme_name="ApiKey",
    description="An organisation's API key (`fx_...`); `fluxori admin create-key` makes one.",
)


class Authenticator:
    """Resolves keys through the domain's key repository (which caches known keys for at most 5 s and forgets
    a key revoked in this process at once), and throttles lookups of unknown keys per client address: each
    unknown key costs a Firestore read, so an address that keeps sending them is refused before the read."""

    def __init__(
        self,
        services: Repositories,
        limiter: TokenBucketLimiter,
        cache_seconds: float = KEY_CACHE_SECONDS,
        unknown_per_minute: int = UNKNOWN_KEYS_PER_MINUTE,
    ) -> None:
        self.services = services  # `services.api_keys` is built on first use: creating the app needs no database
        self.limiter = limiter
        self.cache_seconds = cache_seconds
        self.unknown = TokenBucketLimiter(unknown_per_minute)

    @property
    def keys(self) -> ApiKeys:
        return self.services.api_keys

    def resolve(self, key: str, client: str = "") -> Principal | None:
        """The caller of `key`; None when unknown or revoked. Raises 429 for an address that sent too many
        unknown keys (it may still use a key it has used successfully: those are cached)."""
        wait = self.unknown.wait(client)
        principal = self.keys.authenticate(key, cache_seconds=self.cache_seconds, cached_only=wait > 0)
        if principal is None and wait > 0:
            seconds = TokenBucketLimiter.retry_after(wait)
            raise ApiError(
                429,
                "rate_limited",
                f"too many unknown API keys from this address; retry in {seconds} s",
                {"Retry-After": str(seconds)},
            )
        if principal is None:
            self.unknown.acquire(client)
        return principal


def authenticator_of(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.shell.authenticator  # see app.api.deps.Shell
    return authenticator


def _unauthorized(message: str, error: str | None = None) -> ApiError:
    challenge = 'Bearer realm="fluxori"' + (f', error="{error}"' if error else "")
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": challenge})


def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise _unauthorized("an API key is required: send it as the header `Authorization: Bearer <key>`")
    authenticator = authenticator_of(request)
    principal = authenticator.resolve(credentials.credentials, request.client.host if request.client else "")
    if principal is None:
        raise _unauthorized("this API key is not valid (unknown or revoked); ask an admin for a key", "invalid_token")
    ctx = context.current()
    if ctx is not None:  # the same object the middleware and the log filter see
        ctx.org_id, ctx.role = principal.org_id, principal.role.value
    wait = authenticator.limiter.acquire(principal.key_id)
    if wait > 0:
        seconds = TokenBucketLimiter.retry_after(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests with this API key (limit {int(authenticator.limiter.capacity)} a minute); "
            f"retry in {seconds} s",
            {"Retry-After": str(seconds)},
        )
    return principal


def require(capability: Capability) -> Callable[..., Principal]:
    """A dependency admitting only the roles that the policy gives `capability` (403 for the others)."""
    allowed = roles_for(capability)
    names = " or ".join(role.value for role in allowed)

    def dependency(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            target, services = f"{request.method} {request.url.path}", authenticator_of(request).services
            audit.record_as(
                services, principal, AuditAction.role_refused, target, AuditOutcome.refused, {"needs": capability.value}
            )
            raise ApiError(
                403,
                "forbidden",
                f"{request.method} {request.url.path} needs an API key with the role {names}; "
                f"this key's role is {principal.role.value}",
            )
        return principal

    return dependency
