"""What the assistant, the application layer and the UI need of the composition root (`app.wiring.Services`).

Narrow Protocols instead of `Any`: a reader (and mypy) can follow each collaborator to its type, and nothing
below `app` has to import the wiring that builds them. Each repository is seen through the methods its callers
use (`domain.ports`, which the Firestore classes of `domain` satisfy), so something else can stand behind it.
"""

from __future__ import annotations

from datetime import datetime
from threading import Lock
from typing import Protocol, runtime_checkable

from assistant.application.job_records import IngestJob
from assistant.contracts import AssistantService
from assistant.planning.ports import Planner
from assistant.settings import Settings
from domain.answer_log import AnswerRecord
from domain.feedback import Feedback, Rating, Reason
from domain.orgs import Principal
from domain.ports import ApiKeys, AuditLog, Credits, Orders, OrgDirectory, Products, Shipments, Stock
from domain.store import Store
from domain.uploads import Upload
from retrieval.types import SearchService


class AnswerLog(Protocol):
    """The record of every answer (`domain.answer_log`)."""

    def record(self, org_id: str, record: AnswerRecord) -> AnswerRecord: ...

    def get(self, org_id: str, message_id: str) -> AnswerRecord: ...

    def since(self, org_id: str, start: datetime, limit: int = ...) -> list[AnswerRecord]: ...

    def delete_conversation(self, org_id: str, conversation_id: str) -> int: ...


class FeedbackLog(Protocol):
    """One rating per answer and key (`domain.feedback`)."""

    def rate(
        self,
        org_id: str,
        answer: AnswerRecord,
        *,
        key_id: str,
        role: str,
        rating: Rating | str,
        reasons: list[Reason] | list[str] | None = ...,
        comment: str = ...,
    ) -> Feedback: ...

    def get(self, org_id: str, message_id: str, key_id: str) -> Feedback | None: ...

    def delete_conversation(self, org_id: str, conversation_id: str) -> int: ...


@runtime_checkable  # the tools' run context carries it, and LangChain builds a pydantic schema of that context
class Repositories(Protocol):
    """The repositories: what the tools read and write, and the chat service charges credits with."""

    @property
    def store(self) -> Store: ...

    @property
    def orgs(self) -> OrgDirectory: ...

    @property
    def api_keys(self) -> ApiKeys: ...

    @property
    def products(self) -> Products: ...

    @property
    def inventory(self) -> Stock: ...

    @property
    def orders(self) -> Orders: ...

    @property
    def shipments(self) -> Shipments: ...

    @property
    def credits(self) -> Credits: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def planning(self) -> Planner: ...

    @property
    def answer_log(self) -> AnswerLog: ...

    @property
    def feedback(self) -> FeedbackLog: ...

    def request_id(self) -> str:
        """The id of the API request being served in this thread, '' outside one (what audit records cite)."""
        ...


class ChatServices(Repositories, Protocol):
    """What `ChatService` uses: the repositories and the index refresh after a confirmed write."""

    def reindex(self, org_id: str, doc_ids: list[str]) -> None: ...


class OrgLocks(Protocol):
    def of(self, key: str) -> Lock:
        """The lock of one organisation: held by every run, deletion or re-index of its knowledge base."""
        ...


class JobReader(Protocol):
    def get(self, org_id: str, job_id: str) -> IngestJob: ...


class IngestQueue(Protocol):
    """The process's ingestion worker, as the API and the UI submit to it and follow its jobs."""

    @property
    def jobs(self) -> JobReader: ...

    def submit(self, principal: Principal, uploads: list[Upload]) -> IngestJob: ...


class AppServices(ChatServices, Protocol):
    """Everything the application layer, the UI and the API use."""

    @property
    def org_locks(self) -> OrgLocks: ...

    @property
    def ingest_worker(self) -> IngestQueue: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def searcher(self) -> SearchService: ...

    @property
    def assistant(self) -> AssistantService: ...
