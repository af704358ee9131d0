"""The composition root: turns Settings into the adapters of one mode (local or gcp) and shares them.

Everything below `assistant` receives its collaborators from here, so each layer stays free of configuration.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from assistant.application.ratelimit import TokenBucketLimiter
from assistant.settings import Settings
from domain.catalog import ProductRepository
from domain.credits import CreditsRepository
from domain.inventory import InventoryRepository
from domain.orders import OrderRepository
from domain.orgs import ApiKeyRepository, OrgRepository
from domain.store import Store, make_client
from domain.trade import ShipmentRepository
from retrieval.types import SearchService

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from sentence_transformers import SentenceTransformer

    from assistant.service import ChatService
    from retrieval.embeddings import LocalEmbedder
    from ui.session import Gate


class Services:
    """Lazily built, process-wide adapters. Construct once per process (CLI command, server, test).

    It is what `assistant.ports.AppServices` describes; the layers below see only that Protocol (or a narrower one).
    """

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store

    @cached_property
    def store(self) -> Store:
        if self._store is not None:
            return self._store
        return Store.connect(make_client(self.settings.project, self.settings.firestore_database))

    @cached_property
    def orgs(self) -> OrgRepository:
        return OrgRepository(self.store)

    @cached_property
    def api_keys(self) -> ApiKeyRepository:
        return ApiKeyRepository(self.store)

    @cached_property
    def products(self) -> ProductRepository:
        return ProductRepository(self.store)

    @cached_property
    def inventory(self) -> InventoryRepository:
        return InventoryRepository(self.store, self.products)

    @cached_property
    def orders(self) -> OrderRepository:
        return OrderRepository(self.store, self.inventory)

    @cached_property
    def shipments(self) -> ShipmentRepository:
        return ShipmentRepository(self.store)

    @cached_property
    def credits(self) -> CreditsRepository:
        return CreditsRepository(self.store)

    @cached_property
    def rate_limiter(self) -> TokenBucketLimiter:
        """The per-key rate limit: one set of buckets for the API and the UI."""
        return TokenBucketLimiter(self.settings.rate_limit_per_minute)

    @cached_property
    def gate(self) -> Gate:
        """The UI's session signer and the rate limit above."""
        from ui.session import Gate

        return Gate.build(self.settings, self.rate_limiter)

    # Models and search: imported when first used, because torch and the model load take seconds.
    @cached_property
    def sentence_model(self) -> SentenceTransformer:
        """The process's one MiniLM, shared by the offline chat model and local search (tests/api checks it)."""
        from retrieval.embeddings import get_sentence_model

        return get_sentence_model()

    @cached_property
    def local_embedder(self) -> LocalEmbedder:
        from retrieval.embeddings import LocalEmbedder

        return LocalEmbedder()  # it encodes with `sentence_model` (retrieval's process-wide instance)

    @cached_property
    def chat_model(self) -> BaseChatModel:
        from assistant.models import SentenceEncoder, build_chat_model

        return build_chat_model(self.settings, lambda: SentenceEncoder(self.local_embedder, self.sentence_model))

    @cached_property
    def searcher(self) -> SearchService:
        """The hybrid search service (retrieval)."""
        from app.wiring_retrieval import build_search_service

        return build_search_service(self.settings, self.store, local=self.local_embedder)

    def reindex(self, org_id: str, doc_ids: list[str]) -> None:
        """Bring these product/order documents up to date in the search index (after a confirmed write)."""
        from ingestion.pipeline import reindex_documents

        reindex_documents(self, org_id, doc_ids)

    @cached_property
    def assistant(self) -> ChatService:
        from assistant.service import ChatService

        return ChatService(self.settings, self, model=self.chat_model, searcher=self.searcher)
