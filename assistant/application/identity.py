"""Who a UI session is: an API key or a signed session's key id resolved to its principal, and the name of the
principal's organisation. The API resolves its bearer keys through `app.api.auth.Authenticator` (with a throttle
of unknown keys per address); the UI comes here, so it never reads the key or organisation repositories itself."""

from __future__ import annotations

from assistant.ports import Repositories
from domain.errors import DomainError
from domain.orgs import Principal


def principal_of_key(services: Repositories, key: str) -> Principal | None:
    """The caller of an API key; None when it is unknown or revoked."""
    return services.api_keys.authenticate(key)


def principal_of_key_id(services: Repositories, key_id: str) -> Principal | None:
    """The caller of a key known by its id (from a signed session); None when it is unknown or revoked."""
    return services.api_keys.by_id(key_id)


def org_name(services: Repositories, principal: Principal) -> str:
    """The display name of the caller's own organisation (its id when the name cannot be read)."""
    try:
        return services.orgs.get(principal.org_id).name
    except DomainError:
        return principal.org_id
