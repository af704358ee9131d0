"""Service configuration, read from `FLUXORI_*` environment variables (pydantic-settings).

`local` mode needs no settings at all: Firestore is Google's emulator started by the CLI, embeddings come from a
model shipped in a package, the vector index lives under `data_dir`, and the chat model is the offline one.
`gcp` mode switches every adapter to its Google Cloud counterpart unless a setting says otherwise.
The Cloud Run service in `terraform/` sets exactly these names (a test keeps the two in step).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from retrieval.fusion import FusionName

Mode = Literal["local", "gcp"]
LlmProvider = Literal["offline", "vertex", "openai-compatible"]
EmbeddingProvider = Literal["local", "vertex"]
VectorBackend = Literal["local", "vertex"]

DEFAULT_LLM_MODELS: dict[str, str] = {
    "offline": "fluxori-offline-1",
    "vertex": "gemini-2.5-flash",
    "openai-compatible": "local-model",
}
DEFAULT_EMBEDDING_MODELS: dict[str, str] = {
    "local": "all-MiniLM-L6-v2",
    "vertex": "text-embedding-005",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLUXORI_", env_file=".env", extra="ignore")

    mode: Mode = "local"

    # Google Cloud: Firestore, Storage and Cloud Run in Johannesburg; Vertex AI in the Netherlands.
    project: str = "fluxori-local"
    region: str = "africa-south1"
    vertex_region: str = "europe-west4"
    firestore_database: str = "(default)"
    kb_bucket: str | None = Field(default=None, description="Bucket of knowledge-base files, without gs://")

    # Local mode: where the emulator's export, the vector index and caches are kept between runs.
    data_dir: Path = Path(".fluxori")
    # The content-hash embedding cache (`data_dir/cache` when unset): data directories that index the same text,
    # such as the copies `fluxori eval agent` makes, can share one.
    cache_dir: Path | None = None
    emulator_port: int = Field(default=8085, ge=1, le=65535)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Models. Empty values take the default of the mode (see `resolve_defaults`).
    llm_provider: LlmProvider | None = None
    llm_model: str = ""
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    embedding_provider: EmbeddingProvider | None = None
    embedding_model: str = ""
    # How search fuses its dense and BM25 legs (`retrieval.fusion.FUSIONS`): "coverage" ranks questions asked in
    # other words than the articles' better (BENCHMARKS.md, knowledge-base answers).
    search_fusion: FusionName = "score"

    # Vector index. Vertex AI Vector Search resources are full resource names or numeric ids.
    vector_backend: VectorBackend | None = None
    vector_index_id: str | None = None
    vector_endpoint_id: str | None = None
    vector_deployed_index_id: str | None = None

    # AI credits: the price list (assistant/prices.toml when unset).
    prices_file: Path | None = None

    # Assistant behaviour and protection.
    confirmation_ttl_seconds: int = Field(default=900, ge=30)
    rate_limit_per_minute: int = Field(default=600, ge=1)
    max_message_chars: int = Field(default=4000, ge=100)
    # Signs the web UI's session tokens; every instance behind one URL needs the same one (Secret Manager on GCP).
    session_secret: SecretStr | None = Field(default=None, min_length=16)
    # How long audit records are kept: Firestore's TTL policy deletes each after its `expires_at` (domain.audit).
    audit_retention_days: int = Field(default=400, ge=1)
    # How long the record of each answer (domain.answer_log) and each rating of one (domain.feedback) are kept:
    # Firestore's TTL policy deletes each after its `expires_at`.
    answer_retention_days: int = Field(default=180, ge=1)
    feedback_retention_days: int = Field(default=365, ge=1)
    # The share of lead-time demand the planning's safety stock covers (assistant.planning): 0.95 is z = 1.64.
    service_level: float = Field(default=0.95, ge=0.5, le=0.999)

    # The daily briefing's webhook delivery (`fluxori briefing send`): attempts per organisation and day, the
    # pause after the first failed one (doubling, at most a minute) and each post's time limit.
    webhook_attempts: int = Field(default=5, ge=1, le=10)
    webhook_retry_seconds: float = Field(default=2.0, ge=0, le=60)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # `fluxori serve` sends the briefing every this many minutes (each organisation still gets one a day); 0: off.
    briefing_timer_minutes: int = Field(default=0, ge=0, le=24 * 60)

    @model_validator(mode="after")
    def resolve_defaults(self) -> Settings:
        cloud = self.mode == "gcp"
        if self.llm_provider is None:
            self.llm_provider = "vertex" if cloud else "offline"
        if not self.llm_model:
            self.llm_model = DEFAULT_LLM_MODELS[self.llm_provider]
        if self.embedding_provider is None:
            self.embedding_provider = "vertex" if cloud else "local"
        if not self.embedding_model:
            self.embedding_model = DEFAULT_EMBEDDING_MODELS[self.embedding_provider]
        if self.vector_backend is None:
            self.vector_backend = "vertex" if cloud else "local"
        if cloud and self.project == "fluxori-local":
            raise ValueError("FLUXORI_MODE=gcp needs FLUXORI_PROJECT set to your Google Cloud project id")
        if self.vector_backend == "vertex" and not (
            self.vector_index_id and self.vector_endpoint_id and self.vector_deployed_index_id
        ):
            raise ValueError(
                "the Vertex AI vector backend needs FLUXORI_VECTOR_INDEX_ID, FLUXORI_VECTOR_ENDPOINT_ID and "
                "FLUXORI_VECTOR_DEPLOYED_INDEX_ID (terraform output prints them)"
            )
        if self.llm_provider == "openai-compatible" and not self.openai_base_url:
            raise ValueError("FLUXORI_LLM_PROVIDER=openai-compatible needs FLUXORI_OPENAI_BASE_URL")
        return self
