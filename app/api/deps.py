"""The typed seams of the routes: one `Shell` object per app, reached through `Annotated` dependency aliases.

`create_app` stores the Shell on `app.state` once; routes never look anything up there themselves, they declare
what they need (`services: ServicesDep`, `principal: SearchCaller`) and FastAPI, mypy and a reader can all follow
the type. The caller aliases admit the roles that the policy (`assistant.application.policy`) gives each capability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from app.api.auth import Authenticator, require
from app.api.capacity import ChatCapacity
from app.api.config import ApiSettings
from app.api.warmup import Warmup
from app.wiring import Services
from assistant.application.ingest_jobs import IngestWorker
from assistant.application.policy import Capability
from domain.orgs import Principal

if TYPE_CHECKING:
    from app.demo_index import DemoIndexer


@dataclass
class Shell:
    services: Services
    api_settings: ApiSettings
    authenticator: Authenticator
    warmup: Warmup
    ingest_worker: IngestWorker
    capacity: ChatCapacity
    demo_index: DemoIndexer | None = None


def shell_of(request: Request) -> Shell:
    shell: Shell = request.app.state.shell
    return shell


def services_of(request: Request) -> Services:
    return shell_of(request).services


def ingest_worker_of(request: Request) -> IngestWorker:
    return shell_of(request).ingest_worker


def capacity_of(request: Request) -> ChatCapacity:
    return shell_of(request).capacity


ShellDep = Annotated[Shell, Depends(shell_of)]
IngestWorkerDep = Annotated[IngestWorker, Depends(ingest_worker_of)]
ServicesDep = Annotated[Services, Depends(services_of)]
CapacityDep = Annotated[ChatCapacity, Depends(capacity_of)]

ChatCaller = Annotated[Principal, Depends(require(Capability.chat))]
ConfirmCaller = Annotated[Principal, Depends(require(Capability.confirm))]
SearchCaller = Annotated[Principal, Depends(require(Capability.search))]
CreditsViewer = Annotated[Principal, Depends(require(Capability.credits_view))]
CreditsGranter = Annotated[Principal, Depends(require(Capability.credits_grant))]
Ingester = Annotated[Principal, Depends(require(Capability.ingest))]
Biller = Annotated[Principal, Depends(require(Capability.billing))]
AuditReader = Annotated[Principal, Depends(require(Capability.audit))]
BriefingReader = Annotated[Principal, Depends(require(Capability.briefing))]
WebhookAdmin = Annotated[Principal, Depends(require(Capability.briefing_webhook))]
