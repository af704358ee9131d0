"""Organisations, their users and API keys. A key is stored only as its SHA-256 hash.

Resolved keys are cached for KEY_CACHE_SECONDS (a Firestore read per request would be one read per call), so a
revoked key stops working on the next request in the process that revoked it (revoke drops it from the cache)
and within KEY_CACHE_SECONDS in every other process. Unknown keys are never cached: a new key works at once.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import secrets
import threading
import time
from datetime import datetime
from enum import StrEnum
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from domain.errors import Conflict, InvalidInput, NotFound
from domain.store import Store, utcnow

ORG_ID = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


class Role(StrEnum):
    merchant = "merchant"
    support = "support"
    admin = "admin"


class Organisation(BaseModel):
    id: str
    name: str
    created_at: datetime = Field(default_factory=utcnow)


class User(BaseModel):
    id: str
    email: str
    name: str
    role: Role


class Principal(BaseModel):
    """Who is calling: resolved from an API key by the server, never taken from a request body."""

    org_id: str
    role: Role
    key_id: str
    label: str = ""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def validate_org_id(org_id: str) -> str:
    if not ORG_ID.match(org_id):
        raise InvalidInput(
            f"organisation id {org_id!r} is not valid: use 3-40 lowercase letters, digits and dashes, "
            "starting with a letter"
        )
    return org_id


class OrgRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, org_id: str, name: str) -> Organisation:
        org = Organisation(id=validate_org_id(org_id), name=name)
        try:
            self.store.org(org_id).create(org.model_dump())
        except gexc.Conflict as exc:
            raise Conflict(f"organisation {org_id!r} already exists") from exc
        return org

    def get(self, org_id: str) -> Organisation:
        snap = self.store.org(org_id).get()
        if not snap.exists:
            raise NotFound(f"organisation {org_id!r} does not exist")
        return Organisation(**(snap.to_dict() or {}))

    def exists(self, org_id: str) -> bool:
        return self.store.org(org_id).get().exists

    def list(self) -> list[Organisation]:
        return [Organisation(**(snap.to_dict() or {})) for snap in self.store.client.collection("orgs").stream()]

    def add_user(self, org_id: str, user: User) -> User:
        self.get(org_id)
        self.store.col(org_id, "users").document(user.id).set(user.model_dump(mode="json"))
        return user

    def list_users(self, org_id: str) -> builtins.list[User]:
        return [User(**(snap.to_dict() or {})) for snap in self.store.col(org_id, "users").stream()]


KEY_CACHE_SECONDS = 5.0


class _KeyCache:
    """Principals by (project, key hash) with an expiry, shared by every repository of the process, so that a
    revocation through any of them is seen by all at once. Bounded: cleared when full (refilling costs one read
    per active key)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str], tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, slot: tuple[str, str]) -> Principal | None:
        with self._lock:
            hit = self._entries.get(slot)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def put(self, slot: tuple[str, str], principal: Principal, seconds: float) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[slot] = (principal, time.monotonic() + seconds)

    def drop(self, slot: tuple[str, str]) -> None:
        with self._lock:
            self._entries.pop(slot, None)


_key_cache = _KeyCache()


class ApiKeyRepository:
    """Keys live in a top-level collection keyed by hash: a caller is resolved before its organisation is known."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._keys = store.client.collection("api_keys")

    def _slot(self, key_id: str) -> tuple[str, str]:
        return (self.store.client.project, key_id)

    def create(self, org_id: str, role: Role, label: str = "", key: str | None = None) -> str:
        """Store a new key and return it in clear, once. `key` lets demo data use fixed, documented keys."""
        if not self.store.org(org_id).get().exists:
            raise NotFound(f"organisation {org_id!r} does not exist")
        key = key or f"fx_{secrets.token_urlsafe(32)}"
        self._keys.document(hash_key(key)).set(
            {
                "org_id": org_id,
                "role": Role(role).value,
                "label": label,
                "prefix": key[:12],
                "created_at": utcnow(),
                "revoked": False,
            }
        )
        return key

    def authenticate(
        self, key: str, cache_seconds: float = KEY_CACHE_SECONDS, cached_only: bool = False
    ) -> Principal | None:
        """The caller of `key`, or None when it is unknown or revoked; a known key is remembered for at most
        KEY_CACHE_SECONDS (`cache_seconds` may shorten it; 0 always asks Firestore). `cached_only`: answer from
        the cache or not at all (None), without a read (a caller being throttled)."""
        if not key or len(key) > 200:
            return None
        return self.by_id(hash_key(key), cache_seconds, cached_only)

    def by_id(
        self, key_id: str, cache_seconds: float = KEY_CACHE_SECONDS, cached_only: bool = False
    ) -> Principal | None:
        """The principal of a key known by its id (hash), e.g. from a signed UI session; None if unknown or
        revoked. Cached as `authenticate` says."""
        if cache_seconds > 0 and (cached := _key_cache.get(self._slot(key_id))) is not None:
            return cached
        if cached_only:
            return None
        snap = self._keys.document(key_id).get()
        if not snap.exists:
            return None
        data = snap.to_dict() or {}
        if data.get("revoked"):
            return None
        principal = Principal(
            org_id=data["org_id"], role=Role(data["role"]), key_id=key_id, label=data.get("label", "")
        )
        if cache_seconds > 0:
            _key_cache.put(self._slot(key_id), principal, min(cache_seconds, KEY_CACHE_SECONDS))
        return principal

    def revoke(self, key_id: str) -> None:
        ref = self._keys.document(key_id)
        if not ref.get().exists:
            raise NotFound("no such API key")
        ref.update({"revoked": True, "revoked_at": firestore.SERVER_TIMESTAMP})
        _key_cache.drop(self._slot(key_id))  # this process: the very next request is refused

    def list(self, org_id: str) -> list[dict[str, Any]]:
        """The keys of an organisation without their secrets: id (the hash), prefix, role, label, dates, revoked."""
        query = self._keys.where(filter=FieldFilter("org_id", "==", org_id))
        return sorted(
            ({"id": snap.id, **(snap.to_dict() or {})} for snap in query.stream()), key=lambda k: k["created_at"]
        )
