"""What the assistant, the application layer and the UI need of the composition root (`app.wiring.Services`).

Narrow Protocols instead of `Any`: a reader (and mypy) can follow each collaborator to its type, and nothing
below `app` has to import the wiring that builds them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from assistant.contracts import AssistantService
from assistant.settings import Settings
from domain.catalog import ProductRepository
from domain.credits import CreditsRepository
from domain.inventory import InventoryRepository
from domain.orders import OrderRepository
from domain.orgs import ApiKeyRepository, OrgRepository
from domain.store import Store
from domain.trade import ShipmentRepository
from retrieval.types import SearchService


@runtime_checkable  # the tools' run context carries it, and LangChain builds a pydantic schema of that context
class Repositories(Protocol):
    """The Firestore repositories: what the tools read and write, and the chat service charges credits with."""

    @property
    def store(self) -> Store: ...

    @property
    def orgs(self) -> OrgRepository: ...

    @property
    def api_keys(self) -> ApiKeyRepository: ...

    @property
    def products(self) -> ProductRepository: ...

    @property
    def inventory(self) -> InventoryRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def shipments(self) -> ShipmentRepository: ...

    @property
    def credits(self) -> CreditsRepository: ...


class ChatServices(Repositories, Protocol):
    """What `ChatService` uses: the repositories and the index refresh after a confirmed write."""

    def reindex(self, org_id: str, doc_ids: list[str]) -> None: ...


class AppServices(ChatServices, Protocol):
    """Everything the application layer, the UI and the API use."""

    @property
    def settings(self) -> Settings: ...

    @property
    def searcher(self) -> SearchService: ...

    @property
    def assistant(self) -> AssistantService: ...
