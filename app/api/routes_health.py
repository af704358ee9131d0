"""GET /healthz (the process answers) and GET /readyz (Firestore answers, the assistant and index are loaded)."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import ShellDep
from app.api.schemas import HealthStatus, ReadyStatus
from domain.store import in_background

router = APIRouter(tags=["health"])
PROBE_SECONDS = 1.5  # /readyz answers within this (plus a little) whatever Firestore does


async def _settled(probes: list[Future[Any]], seconds: float) -> None:
    """Wait until every probe is done or `seconds` passed, without holding a thread."""
    for _ in range(int(seconds / 0.02)):
        if all(probe.done() for probe in probes):
            return
        await asyncio.sleep(0.02)


def _outcome(probe: Future[Any], describe: Any) -> str:
    """What a probe found, or `error: timeout` when it has not finished (readiness reports, it never raises)."""
    if not probe.done():
        return "error: timeout"
    if (exc := probe.exception()) is not None:
        return f"error: {type(exc).__name__}"
    result: str = describe(probe.result())
    return result


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
async def readyz(shell: ShellDep) -> JSONResponse:
    # Async on purpose: it must answer even when every worker thread waits for a Firestore that does not answer.
    services, warmup = shell.services, shell.warmup
    checks: dict[str, str] = {}
    # The backend probes run in background threads, together, and are waited for at most PROBE_SECONDS.
    firestore_probe = in_background(lambda: services.store.ping(PROBE_SECONDS))
    index_probe = None
    if services.is_built("searcher"):
        index_probe = in_background(services.searcher.ready)
    await _settled([p for p in (firestore_probe, index_probe) if p is not None], PROBE_SECONDS)
    checks["firestore"] = _outcome(firestore_probe, lambda _: "ok")
    if warmup.done:
        checks["assistant"] = "ok"
    else:
        warmup.start()
        checks["assistant"] = f"error: {warmup.error}" if warmup.error else "loading"
    if not services.is_built("searcher"):
        checks["index"] = "loading"  # built together with the assistant
    elif index_probe is not None:
        checks["index"] = _outcome(index_probe, lambda ready: "ok" if ready else "error: not ready")
    ok = all(value == "ok" for value in checks.values())
    if shell.demo_index is not None:  # informational: the server answers while the demo data is being indexed
        checks["demo_index"] = shell.demo_index.status
    body = ReadyStatus(status="ready" if ok else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
