"""Limits of the HTTP layer. They are API concerns, so they live here rather than in `assistant.settings`;
they read the same `FLUXORI_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLUXORI_", env_file=".env", extra="ignore")

    max_json_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest JSON request body (413 above)")
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest multipart upload to /v1/ingest, all files together"
    )
    api_key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=5,
        description="How long a resolved API key is trusted without asking Firestore again (0: always ask; at most "
        "5). A key revoked elsewhere keeps working for at most this long on an instance that has seen it; the "
        "instance that revokes it refuses it at once.",
    )
    chat_concurrency: int = Field(
        default=128,
        ge=1,
        le=1000,
        description="Chat turns one process runs at once, on a thread pool of that size; beyond it a chat "
        "request gets 503 with Retry-After. Keep Cloud Run's `concurrency` below it (see BENCHMARKS.md, load).",
    )
