"""Signed, expiring session tokens: what the browser keeps (local storage and a cookie) instead of the API key.

A token names the API key by its id (the SHA-256 hash stored in Firestore, from which the key cannot be
recovered) and an expiry, signed with HMAC-SHA256 under a server secret: the `FLUXORI_SESSION_SECRET` setting, or else a
random secret generated once per data directory (so sessions survive restarts of one server). Resolving a
token re-reads the key, so a revoked key ends its sessions within 5 s (the key cache, `domain.orgs`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

PREFIX = "fxs1."
DEFAULT_TTL_SECONDS = 12 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret: bytes, ttl_seconds: int = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.time):
        if len(secret) < 16:
            raise ValueError("the session secret must have at least 16 bytes")
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def issue(self, key_id: str) -> str:
        payload = _b64(json.dumps({"k": key_id, "exp": int(self._clock()) + self.ttl_seconds}).encode())
        return f"{PREFIX}{payload}.{self._mac(payload)}"

    def key_id(self, token: str | None) -> str | None:
        """The key id of a valid, unexpired token; None for anything else (tampered, expired, malformed)."""
        if not token or not token.startswith(PREFIX) or len(token) > 500:
            return None
        payload, _, mac = token[len(PREFIX) :].partition(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("k"), str) or not isinstance(data.get("exp"), int):
            return None
        return data["k"] if data["exp"] > self._clock() else None


def is_token(value: str | None) -> bool:
    return bool(value and value.startswith(PREFIX))


def load_secret(data_dir: Path, configured: SecretStr | None = None) -> bytes:
    """The configured secret, else the one kept in the data directory (created on first use, mode 600)."""
    if configured is not None:
        return configured.get_secret_value().encode()
    path = Path(data_dir) / "session-secret"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret.hex())
    return secret
