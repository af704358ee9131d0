"""Who is calling: `Authorization: Bearer <API key>` resolved to a Principal (organisation, role), role checks,
and the per-key rate limit. The organisation of every request comes from here and nowhere else."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api import context
from app.api.errors import ApiError
from app.api.ratelimit import TokenBucketLimiter
from assistant.application.policy import Capability, roles_for
from assistant.ports import Repositories
from domain.orgs import ApiKeyRepository, Principal, hash_key

bearer = HTTPBearer(
    auto_error=False,  # we answer a missing key ourselves, with the standard error body and WWW-Authenticate
    scheme_name="ApiKey",
    description="An organisation's API key (`fx_...`); `fluxori admin create-key` makes one.",
)


class Authenticator:
    """Resolves keys through Firestore, remembering successes for a short while (a key lookup per request
    would be one Firestore read on every call). Failures are never cached, so a new key works at once."""

    def __init__(
        self,
        services: Repositories,
        limiter: TokenBucketLimiter,
        cache_seconds: float = 30.0,
        max_entries: int = 10_000,
    ) -> None:
        self.services = services  # `services.api_keys` is built on first use: creating the app needs no database
        self.limiter = limiter
        self.cache_seconds = cache_seconds
        self.max_entries = max_entries
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    @property
    def keys(self) -> ApiKeyRepository:
        return self.services.api_keys

    def resolve(self, key: str) -> Principal | None:
        if not key or len(key) > 200:
            return None
        cache_key = hash_key(key)
        now = time.monotonic()
        if self.cache_seconds > 0:
            with self._lock:
                hit = self._cache.get(cache_key)
            if hit is not None and hit[1] > now:
                return hit[0]
        principal = self.keys.authenticate(key)
        if principal is not None and self.cache_seconds > 0:
            with self._lock:
                if len(self._cache) >= self.max_entries:
                    self._cache.clear()  # crude but bounded; refilling costs one read per active key
                self._cache[cache_key] = (principal, now + self.cache_seconds)
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
    principal = authenticator.resolve(credentials.credentials)
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
            raise ApiError(
                403,
                "forbidden",
                f"{request.method} {request.url.path} needs an API key with the role {names}; "
                f"this key's role is {principal.role.value}",
            )
        return principal

    return dependency
