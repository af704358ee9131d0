"""Session tokens: what the browser keeps instead of the API key. Tampered, expired, foreign or malformed tokens
are refused; a token of a revoked key stops working at once (checked against the Firestore emulator)."""

from __future__ import annotations

import os
import stat

import pytest

from app.api.app import create_app
from app.wiring import Services
from assistant.application.policy import Capability
from assistant.settings import Settings
from domain.orgs import Role
from ui.session import Refusal, authenticate, require, start_session
from ui.session_token import PREFIX, TokenSigner, _b64, load_secret

SECRET = b"0123456789abcdef0123456789abcdef"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_names_its_key_until_it_expires():
    clock = Clock()
    signer = TokenSigner(SECRET, ttl_seconds=60, clock=clock)
    token = signer.issue("key-hash")
    assert token.startswith(PREFIX) and "key-hash" not in token  # not readable at a glance, not the key
    assert signer.key_id(token) == "key-hash"
    clock.now += 59
    assert signer.key_id(token) == "key-hash"
    clock.now += 2
    assert signer.key_id(token) is None  # expired


def test_tampered_foreign_and_malformed_tokens_are_refused():
    signer = TokenSigner(SECRET)
    token = signer.issue("key-hash")
    payload, mac = token[len(PREFIX) :].split(".")
    forged = _b64(b'{"k": "other-key", "exp": 99999999999}')
    assert signer.key_id(f"{PREFIX}{forged}.{mac}") is None  # another payload under the old signature
    assert signer.key_id(f"{PREFIX}{payload}.{mac[:-2]}xx") is None
    assert TokenSigner(b"another-secret-of-32-bytes------").key_id(token) is None
    for junk in ("", None, "fx_demo_bergveld_merchant", PREFIX, f"{PREFIX}abc", f"{PREFIX}{payload}", "x" * 600):
        assert signer.key_id(junk) is None
    with pytest.raises(ValueError):
        TokenSigner(b"short")


def test_the_secret_comes_from_the_settings_or_is_kept_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("FLUXORI_SESSION_SECRET", raising=False)
    first = load_secret(tmp_path, Settings(_env_file=None).session_secret)
    assert len(first) == 32 and load_secret(tmp_path) == first  # the same across restarts
    assert stat.S_IMODE(os.stat(tmp_path / "session-secret").st_mode) == 0o600
    assert load_secret(tmp_path / "other") != first
    monkeypatch.setenv("FLUXORI_SESSION_SECRET", "from-the-environment-0123456789")
    assert load_secret(tmp_path, Settings(_env_file=None).session_secret) == b"from-the-environment-0123456789"


def test_a_session_resolves_to_its_key_and_ends_when_the_key_is_revoked(store, tmp_path, monkeypatch):
    monkeypatch.delenv("FLUXORI_SESSION_SECRET", raising=False)
    services = Services(Settings(_env_file=None, project="t", data_dir=tmp_path, rate_limit_per_minute=2), store)
    services.orgs.create("acme", "Acme")
    key = services.api_keys.create("acme", Role.merchant, label="till")
    assert start_session(services, "fx_wrong") is None
    principal, token = start_session(services, key)
    assert key not in token and principal.org_id == "acme"
    assert authenticate(services, token) == principal
    assert require(services, token, Capability.confirm) == principal
    with pytest.raises(Refusal, match="needs the admin role"):
        require(services, token, Capability.ingest)
    with pytest.raises(Refusal, match="Too many requests"):  # two a minute: the role refusal used none
        require(services, token, Capability.confirm)
        require(services, token, Capability.confirm)
    assert authenticate(services, token[:-3] + "abc") is None
    services.api_keys.revoke(principal.key_id)
    assert authenticate(services, token) is None
    assert services.gate is services.gate


def test_the_ui_counts_its_calls_in_the_apis_per_key_buckets(tmp_path):
    """One limiter, built by the composition root: the API's authenticator and the UI's gate hold the same one."""
    services = Services(Settings(_env_file=None, project="t", data_dir=tmp_path), store=object())
    app = create_app(services)
    assert app.state.shell.authenticator.limiter is services.gate.limiter is services.rate_limiter
