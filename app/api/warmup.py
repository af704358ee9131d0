"""Builds the assistant (chat model, embeddings, search index: seconds) once, in the background, so that a
readiness probe answers at once and reports `loading` until the first chat would not have to wait."""

from __future__ import annotations

import logging
import threading

from app.wiring import Services

log = logging.getLogger(__name__)


class Warmup:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.error: str | None = None
        self._started = False
        self._lock = threading.Lock()

    @property
    def done(self) -> bool:
        return self.services.is_built("assistant")

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
