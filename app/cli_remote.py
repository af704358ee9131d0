"""The CLI as an HTTP client of a running `fluxori serve`: `chat`, `search` and `credits` answer in a fraction of a
second instead of loading the models themselves.

The server is used when it answers `/healthz` on the configured port within a moment; the API key comes from
`--key` or FLUXORI_API_KEY, or, in local mode, is the documented demo merchant key of a demo organisation. The
key decides the organisation and role exactly as for any API client. Nothing here imports torch or the agent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from app.cli_common import fail
from assistant.contracts import StreamEvent
from assistant.settings import Settings

PROBE_SECONDS = 0.3
TURN_SECONDS = 300.0


@dataclass(frozen=True)
class Remote:
    base_url: str
    key: str

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **extra}

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise fail(f"the server refused ({response.status_code}): {message}", 1 if response.status_code < 500 else 2)

    def stream(self, path: str, body: dict[str, Any]) -> Iterator[StreamEvent]:
        """POST a chat turn with `Accept: text/event-stream` and yield its events as they arrive."""
        headers = self._headers(Accept="text/event-stream")
        with httpx.stream("POST", self.base_url + path, json=body, headers=headers, timeout=TURN_SECONDS) as r:
            if not r.is_success:
                r.read()
                self._check(r)
            event = "message"
            for line in r.iter_lines():
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                elif line.startswith("data:"):
                    data = json.loads(line.removeprefix("data:").strip())
                    if event == "error":
                        raise fail(f"{data.get('message', 'the turn failed')} (request {data.get('request_id')})")
                    yield StreamEvent.model_validate({"event": event, "data": data})

    def get(self, path: str, **params: Any) -> Any:
        query = {name: value for name, value in params.items() if value is not None}
        return self._check(httpx.get(self.base_url + path, params=query, headers=self._headers(), timeout=30)).json()


def server_url(settings: Settings) -> str | None:
    """The base URL of a `fluxori serve` that answers now on the configured port, else None."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    url = f"http://{host}:{settings.port}"
    try:
        response = httpx.get(url + "/healthz", timeout=PROBE_SECONDS)
        return url if response.status_code == 200 and response.json().get("status") == "ok" else None
    except (httpx.HTTPError, ValueError):
        return None


def demo_key(settings: Settings, org: str | None) -> str | None:
    """Local mode: the demo merchant key of a demo organisation (documented in the README and by `fluxori seed`)."""
    if settings.mode != "local" or not org:
        return None
    from domain.demo import DEMO_KEYS

    key = f"fx_demo_{org}_merchant"
    return key if key in DEMO_KEYS else None


def remote(settings: Settings, key: str | None, org: str | None) -> Remote | None:
    """The running server to use with the key to use, or None to work in-process as before."""
    key = key or os.environ.get("FLUXORI_API_KEY") or demo_key(settings, org)
    if not key:
        return None
    url = server_url(settings)
    return Remote(url, key) if url else None
