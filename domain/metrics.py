"""The process's metrics, in Prometheus' model (prometheus-client), served at GET /metrics.

Defined at the bottom of the layers so that every layer records into the same registry: the HTTP middleware,
the chat service (turns, time to first token, tokens, credits, tools, confirmations, "not found" answers), the
ingestion worker and the Firestore client (errors and timeouts). No metric has an organisation label: label
values multiply the series, and per-organisation figures come from the billing export (BigQuery). On Cloud Run
the Managed Service for Prometheus sidecar scrapes the endpoint (terraform/); the names are a contract that
the SLOs and the dashboard there read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60)

HTTP_REQUESTS = Counter(
    "fluxori_http_requests_total", "HTTP requests", ["route", "method", "status_class"], registry=REGISTRY
)
HTTP_DURATION = Histogram(
    "fluxori_http_request_duration_seconds",
    "HTTP request latency, to the end of the response",
    ["route", "method", "streaming"],
    buckets=BUCKETS,
    registry=REGISTRY,
)
TURN_DURATION = Histogram(
    "fluxori_chat_turn_duration_seconds", "Chat turn latency", ["model"], buckets=BUCKETS, registry=REGISTRY
)
TIME_TO_FIRST_TOKEN = Histogram(
    "fluxori_chat_time_to_first_token_seconds",
    "From the start of a turn to its first answer token",
    ["model"],
    buckets=BUCKETS,
    registry=REGISTRY,
)
MODEL_TOKENS = Counter("fluxori_model_tokens_total", "Model tokens", ["model", "direction"], registry=REGISTRY)
CREDITS_USED = Counter("fluxori_credits_used_total", "Credits charged for turns", ["model"], registry=REGISTRY)
TOOL_CALLS = Counter("fluxori_tool_calls_total", "Agent tool calls", ["tool", "outcome"], registry=REGISTRY)
CONFIRMATIONS = Counter("fluxori_confirmations_total", "Proposed changes decided", ["outcome"], registry=REGISTRY)
NOT_FOUND = Counter(
    "fluxori_not_found_answers_total", "Answers that found nothing in the help centre", ["surface"], registry=REGISTRY
)
INGEST_JOBS = Counter("fluxori_ingest_jobs_total", "Ingestion jobs finished", ["outcome"], registry=REGISTRY)
INGEST_DURATION = Histogram(
    "fluxori_ingest_job_duration_seconds", "Ingestion job duration", buckets=BUCKETS, registry=REGISTRY
)
FIRESTORE_ERRORS = Counter(
    "fluxori_firestore_errors_total",
    "Firestore calls that failed: unavailable, timed out, other",
    ["kind"],
    registry=REGISTRY,
)


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "5xx"


class OpenReservations(Collector):
    """The gauge of open credit reservations, counted when scraped (one aggregation query, cached a while so a
    burst of scrapes costs one). Reads nothing until a source is set (the composition root sets it)."""

    def __init__(self, cache_seconds: float = 15.0) -> None:
        self.source: Callable[[], int] | None = None
        self.cache_seconds = cache_seconds
        self._value: tuple[float, int] | None = None

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("fluxori_open_reservations", "Credit reservations open now (all organisations)")
        if self.source is not None:
            now = time.monotonic()
            if self._value is None or now - self._value[0] > self.cache_seconds:
                try:
                    self._value = (now, self.source())
                except Exception:  # the database is down: the gauge is missing, the scrape still answers
                    FIRESTORE_ERRORS.labels(kind="other").inc()
                    self._value = None
            if self._value is not None:
                gauge.add_metric([], self._value[1])
        yield gauge


OPEN_RESERVATIONS = OpenReservations()
REGISTRY.register(OPEN_RESERVATIONS)
