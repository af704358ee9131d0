"""The composition root: turns Settings into the adapters of one mode (local or gcp) and shares them.

Everything below `assistant` receives its collaborators from here, so each layer stays free of configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from app.api import context as request_context
from assistant.application.ratelimit import TokenBucketLimiter
from assistant.billing.gateway import PayFastGateway, PaymentGateway
from assistant.billing.settings import BillingSettings
from assistant.pricing import PriceList, load_prices
from assistant.settings import Settings
from domain.answer_log import AnswerLogRepository
from domain.audit import AuditRepository
from domain.catalog import ProductRepository
from domain.credits import CreditsRepository
from domain.feedback import FeedbackRepository
from domain.inventory import InventoryRepository
from domain.locks import KeyedLocks
from domain.orders import OrderRepository
from domain.orgs import ApiKeyRepository, OrgRepository
from domain.purchases import PurchaseRepository
from domain.store import Store, make_client
from domain.trade import ShipmentRepository
from retrieval.types import SearchService

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from sentence_transformers import SentenceTransformer

    from assistant.application.ingest_jobs import IngestWorker
    from assistant.planning.service import PlanningService
    from assistant.service import ChatService
    from retrieval.embeddings import LocalEmbedder, SentenceModel
    from ui.session import Gate


class Services:
    """Lazily built, process-wide adapters. Construct once per process (CLI command, server, test).

    It is what `assistant.ports.AppServices` describes; the layers below see only that Protocol (or a narrower one).
    It owns the process's state: the worker, the locks, the model, the gate; nothing below keeps any of its own.
    `on_write`: called after each Firestore write of the store it connects (local mode, see `app.local_firestore`).
    `store` and `minilm`: already built ones to use (tests share them).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        on_write: Callable[[], None] | None = None,
        minilm: SentenceModel | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._on_write = on_write
        self._minilm = minilm  # a test session shares one, as a process has one

    def is_built(self, name: str) -> bool:
        """Whether the lazily built `name` exists yet (a readiness probe asks without building it)."""
        self._lazy(name)
        return name in self.__dict__  # where functools.cached_property keeps the built value

    def override(self, name: str, value: object) -> Callable[[], None]:
        """Stand `value` in for the lazily built `name` (tests); returns what puts back the previous state."""
        self._lazy(name)
        had, previous = name in self.__dict__, self.__dict__.get(name)
        self.__dict__[name] = value

        def undo() -> None:
            if had:
                self.__dict__[name] = previous
            else:
                self.__dict__.pop(name, None)

        return undo

    @classmethod
    def _lazy(cls, name: str) -> None:
        if not isinstance(getattr(cls, name, None), cached_property):
            raise AttributeError(f"Services has no lazily built {name!r}")

    @cached_property
    def store(self) -> Store:
        if self._store is not None:
            return self._store
        client = make_client(self.settings.project, self.settings.firestore_database, on_each_write=self._on_write)
        return Store.connect(client)

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
    def audit(self) -> AuditRepository:
        """The append-only audit log; records expire after `audit_retention_days` (Firestore TTL)."""
        return AuditRepository(self.store, self.settings.audit_retention_days)

    @cached_property
    def answer_log(self) -> AnswerLogRepository:
        """The record of every answer; records expire after `answer_retention_days` (Firestore TTL)."""
        return AnswerLogRepository(self.store, self.settings.answer_retention_days)

    @cached_property
    def feedback(self) -> FeedbackRepository:
        """Ratings of answers, one per answer and key; they expire after `feedback_retention_days` (Firestore TTL)."""
        return FeedbackRepository(self.store, self.settings.feedback_retention_days)

    def request_id(self) -> str:
        """The id of the `/v1` request being served ('' outside one). Read from the request's context, which
        every thread of the request sees; only a `/v1` one counts (a UI event runs outside its HTTP request)."""
        ctx = request_context.current()
        return ctx.request_id if ctx is not None and ctx.path.startswith("/v1/") else ""

    @cached_property
    def purchases(self) -> PurchaseRepository:
        return PurchaseRepository(self.store, self.credits)

    @cached_property
    def billing_settings(self) -> BillingSettings:
        """Billing's own settings; the public URL follows the port this process serves on."""
        return BillingSettings(mode=self.settings.mode, host=self.settings.host, port=self.settings.port)

    @cached_property
    def prices(self) -> PriceList:
        return load_prices(self.settings.prices_file)

    @cached_property
    def payments(self) -> PaymentGateway:
        """PayFast's validate and ad hoc charge endpoints (the local sandbox in local mode)."""
        return PayFastGateway(self.billing_settings)

    def after_charge(self, org_id: str, balance_mc: int) -> None:
        """After a settled turn: the auto top-up of a balance that fell under its threshold."""
        from assistant.billing.autotopup import after_settlement

        after_settlement(self, org_id, balance_mc)

    @cached_property
    def planning(self) -> PlanningService:
        """Forecasts and the reorder, rebalancing and stockout plans, kept per organisation until its data changes."""
        from assistant.planning.service import PlanningService

        return PlanningService(self)

    @cached_property
    def rate_limiter(self) -> TokenBucketLimiter:
        """The per-key rate limit: one set of buckets for the API and the UI."""
        return TokenBucketLimiter(self.settings.rate_limit_per_minute)

    @cached_property
    def org_locks(self) -> KeyedLocks:
        """Held by every run, deletion or re-index of an organisation's knowledge base in this process."""
        return KeyedLocks()

    @cached_property
    def ingest_worker(self) -> IngestWorker:
        """The process's one ingestion worker, whether the API or the UI submits the job."""
        from assistant.application.ingest_jobs import IngestWorker

        return IngestWorker(self)

    @cached_property
    def gate(self) -> Gate:
        """The UI's session signer and the rate limit above."""
        from ui.session import Gate

        return Gate.build(self.settings, self.rate_limiter)

    # Models and search: imported when first used, because torch and the model load take seconds.
    @cached_property
    def minilm(self) -> SentenceModel:
        """The process's one MiniLM, shared by the offline chat model and local search; loaded on first use."""
        from retrieval.embeddings import SentenceModel

        return self._minilm if self._minilm is not None else SentenceModel()

    @cached_property
    def sentence_model(self) -> SentenceTransformer:
        """The loaded MiniLM (tests/api checks that the chat model and the embedder share it)."""
        return self.minilm.get()

    @cached_property
    def local_embedder(self) -> LocalEmbedder:
        from retrieval.embeddings import LocalEmbedder

        return LocalEmbedder(self.minilm)

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

        return ChatService(
            self.settings, self, model=self.chat_model, searcher=self.searcher, after_charge=self.after_charge
        )
