"""GET /metrics: the Prometheus text format of `domain.metrics`, for the scraper beside the service.

Readable from loopback without a key (Cloud Run's Managed Service for Prometheus sidecar scrapes localhost, and
a request that came through a proxy says so in X-Forwarded-For, so it does not count as local), or with an admin
API key from anywhere. The figures are of the whole process, never of one organisation."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Request, Security
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.auth import authenticate, bearer, require
from app.api.errors import doc
from assistant.application.policy import Capability
from domain.metrics import REGISTRY

router = APIRouter(tags=["health"])
admin_only = require(Capability.metrics)


def _local(request: Request) -> bool:
    if request.headers.get("x-forwarded-for") or request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    description="The process's metrics in Prometheus' text format: from loopback, or with an admin API key.",
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **doc(401, 403)},
)
def metrics(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Response:
    if not _local(request):  # 401 without a key, 403 for a key that is not an admin's
        admin_only(request, authenticate(request, credentials))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
