"""GET /healthz (the process answers) and GET /readyz (Firestore answers, the assistant and index are loaded)."""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import ShellDep
from app.api.schemas import HealthStatus, ReadyStatus
from app.wiring import Services

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


class Warmup:
    """Builds the assistant (chat model, embeddings, search index: seconds) once, in the background, so that a
    readiness probe answers at once and reports `loading` until the first chat would not have to wait."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.error: str | None = None
        self._started = False
        self._lock = threading.Lock()

    @property
    def done(self) -> bool:
        return "assistant" in vars(self.services)  # functools.cached_property stores the built value there

    def start(self) -> None:
        with self._lock:
            if self._started or self.done:
                return
            self._started = True
        threading.Thread(target=self._run, name="assistant-warmup", daemon=True).start()

    def _run(self) -> None:
        try:
            _ = self.services.assistant
        except Exception as exc:
            self.error = type(exc).__name__
            log.exception("the assistant could not be built")


@router.get("/healthz", response_model=HealthStatus, summary="The process is up (liveness)")
def healthz() -> HealthStatus:
    return HealthStatus(status="ok")


@router.get(
    "/readyz",
    response_model=ReadyStatus,
    summary="Ready for traffic: Firestore answers, the assistant and the search index are loaded",
    description="503 with the failing checks otherwise. `demo_index` (local mode) reports the background indexing "
    "of the demo data and does not decide readiness.",
    responses={503: {"model": ReadyStatus, "description": "Not ready; `checks` says what is missing"}},
)
def readyz(shell: ShellDep) -> JSONResponse:
    services, warmup = shell.services, shell.warmup
    checks: dict[str, str] = {}
    try:
        services.store.client.collection("orgs").limit(1).get(timeout=5)
        checks["firestore"] = "ok"
    except Exception as exc:  # readiness reports, it never raises
        checks["firestore"] = f"error: {type(exc).__name__}"
    if warmup.done:
        checks["assistant"] = "ok"
    else:
        warmup.start()
        checks["assistant"] = f"error: {warmup.error}" if warmup.error else "loading"
    if "searcher" not in vars(services):
        checks["index"] = "loading"  # built together with the assistant
    else:
        try:
            checks["index"] = "ok" if services.searcher.ready() else "error: not ready"
        except Exception as exc:
            checks["index"] = f"error: {type(exc).__name__}"
    ok = all(value == "ok" for value in checks.values())
    if shell.demo_index is not None:  # informational: the server answers while the demo data is being indexed
        checks["demo_index"] = shell.demo_index.status
    body = ReadyStatus(status="ready" if ok else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
