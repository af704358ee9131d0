"""The FastAPI application: the assistant, search, credits and ingestion under /v1, health at the root, the
Gradio UI at /ui. `create_app(services)` is used by `fluxori serve` and tests.

Routes  (roles: m = merchant, s = support, a = admin)
  POST /v1/chat            m s     ask; JSON or server-sent events (support: knowledge-base answers)
  POST /v1/chat/confirm    m       approve or reject a proposed change
  POST /v1/feedback        m s     rate an answer (up/down, reasons, comment); one rating per answer and key
  GET  /v1/search          m s a   search the knowledge base, products, orders (support: knowledge base)
  GET  /v1/credits         m a     balance, quota, usage, ledger
  POST /v1/admin/credits   a       top up credits
  GET  /v1/billing/packs   m a     credit packs for sale (ZAR, VAT on top)
  POST /v1/billing/checkout           a   start buying a pack: the signed PayFast form
  GET  /v1/billing/purchases/{id}     a   a purchase's status
  GET  /v1/billing/invoices[/{n}.pdf] a   tax invoices
  GET  /v1/billing/statements/{YYYY-MM}  a   monthly statement (json, csv, pdf)
  GET|PUT /v1/billing/settings        a   VAT number and auto top-up
  POST /v1/billing/payfast/notify     -   PayFast's payment notification (no key: checked as PayFast's)
  POST /v1/ingest          a       upload knowledge-base files; 202 with a job id, indexed in the background
  GET  /v1/ingest/{job_id} a       the job's status, per-file progress and report
  GET  /v1/documents       a       the indexed knowledge-base documents
  DELETE /v1/documents/{doc_id}        a   delete one from the index (and an upload's file)
  POST /v1/documents/{doc_id}/reindex  a   re-index one from its file
  GET  /v1/audit           a       the audit log: who did what, when (paged, newest first)
  GET  /v1/briefing        m a     today's briefing: stockouts, rebalancing, late orders, shipments, credits
  PUT|GET|DELETE /v1/briefing/webhook  a   where the daily briefing is posted (signed; the secret shown once)
  GET  /healthz, /readyz   -       probes
  GET  /metrics            a       Prometheus metrics (no key needed from loopback: the scraper beside it)
The roles come from `assistant.application.policy`, the one role matrix of the API and the UI.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.api import errors
from app.api.auth import Authenticator
from app.api.capacity import ChatCapacity
from app.api.config import ApiSettings
from app.api.deps import Shell
from app.api.docs_assets import install_offline_docs
from app.api.logging import configure_logging
from app.api.middleware import RequestMiddleware
from app.api.routes_audit import router as audit_router
from app.api.routes_billing import router as billing_router
from app.api.routes_briefing import router as briefing_router
from app.api.routes_chat import router as chat_router
from app.api.routes_credits import router as credits_router
from app.api.routes_documents import router as documents_router
from app.api.routes_feedback import router as feedback_router
from app.api.routes_health import router as health_router
from app.api.routes_ingest import router as ingest_router
from app.api.routes_kb import router as kb_router
from app.api.routes_metrics import router as metrics_router
from app.api.routes_payfast import router as payfast_router
from app.api.routes_search import router as search_router
from app.api.warmup import Warmup
from app.demo_index import DemoIndexer
from app.payfast_sandbox import sandbox_router
from app.wiring import Services
from domain.metrics import OPEN_RESERVATIONS
from ui.app import mount_ui

DESCRIPTION = """
Chat with the Fluxori assistant, search the knowledge base and manage AI credits.

**Auth**: every `/v1` route needs `Authorization: Bearer <API key>`. The key decides the organisation and the
role (merchant: chat, confirm, feedback, search, credits; support: knowledge-base answers, feedback and
knowledge-base search only; admin: credit top-ups, ingestion, search, credits). Organisation ids never come from a
request.

**Errors** share one body: `{"error": {"code", "message", "request_id"}}` (422 adds `details`). 401 missing or
unknown key, 402 out of credits, 403 wrong role, 404 not in your organisation, 409 conflict, 413 body too large,
422 invalid input, 429 rate limit or daily quota (with `Retry-After`), 503 a backend is not available.

**Request ids**: send `X-Request-ID` (8-128 of `A-Za-z0-9._:-`) or get one; every response carries it. A chat
turn retried with the same id is answered once and charged once.
"""


def create_app(
    services: Services, api_settings: ApiSettings | None = None, demo_index: DemoIndexer | None = None
) -> FastAPI:
    api_settings = api_settings or ApiSettings()
    configure_logging(services.settings.log_level)
    app = FastAPI(
        title="Fluxori Assistant API",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "chat", "description": "Conversation turns with the assistant"},
            {"name": "search", "description": "Hybrid search of the organisation's documents"},
            {"name": "credits", "description": "AI credits: balance, quota, ledger"},
            {"name": "billing", "description": "Buying credits (PayFast), tax invoices, statements, auto top-up"},
            {"name": "briefing", "description": "The daily briefing and its webhook"},
            {"name": "admin", "description": "Admin-only: top-ups, knowledge-base ingestion and documents"},
            {"name": "health", "description": "Probes"},
        ],
    )
    limiter = services.rate_limiter  # the UI counts its calls in the same buckets (`services.gate`)
    app.state.shell = Shell(
        services=services,
        api_settings=api_settings,
        authenticator=Authenticator(services, limiter, cache_seconds=api_settings.api_key_cache_seconds),
        warmup=Warmup(services),
        ingest_worker=services.ingest_worker,
        capacity=ChatCapacity(api_settings.chat_concurrency),
        demo_index=demo_index,
    )
    OPEN_RESERVATIONS.source = services.credits.open_reservation_count  # counted when /metrics is scraped
    errors.install(app)
    install_offline_docs(app)
    routers = (
        chat_router,
        feedback_router,
        search_router,
        kb_router,
        credits_router,
        billing_router,
        payfast_router,
        briefing_router,
    )
    for router in (*routers, ingest_router, documents_router, audit_router, health_router, metrics_router):
        app.include_router(router)
    if services.billing_settings.payfast_mode == "local":  # PayFast's stand-in, offline (app.payfast_sandbox)
        app.include_router(sandbox_router(services.billing_settings))
    app.add_middleware(
        RequestMiddleware,
        max_json_bytes=api_settings.max_json_bytes,
        max_upload_bytes=api_settings.max_upload_bytes,
        upload_paths=("/v1/ingest",),
    )
    return mount_ui(app, services)
