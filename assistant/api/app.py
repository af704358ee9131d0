"""The FastAPI application: health and readiness now; the assistant routes join it in `assistant.api.routes`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from assistant.wiring import Services


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="Fluxori Assistant API",
        version="0.1.0",
        description="Chat with the Fluxori assistant, search the knowledge base and manage AI credits.",
    )
    app.state.services = services

    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Firestore answers")
    def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            services.store.client.collection("orgs").limit(1).get(timeout=5)
            checks["firestore"] = "ok"
        except Exception as exc:  # readiness reports, it never raises
            checks["firestore"] = f"error: {type(exc).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    return app
