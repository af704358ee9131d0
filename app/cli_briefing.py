"""`fluxori briefing`: show an organisation's daily briefing, and send every organisation's to its webhook (a
Cloud Run job runs `fluxori briefing send` every morning in gcp mode, terraform/; locally `fluxori serve` can run
it on a timer, FLUXORI_BRIEFING_TIMER_MINUTES)."""

from __future__ import annotations

import atexit
import json
import logging
import threading
from typing import Annotated

import typer
from rich.table import Table

from app.cli_common import clean_errors, console, fail, load_settings
from app.local_firestore import local_firestore
from app.wiring import Services
from assistant.application.briefing import briefing_for
from assistant.application.webhook_delivery import Outcome, Sender, SendResult, summary_text

log = logging.getLogger(__name__)
briefing_app = typer.Typer(help="The daily briefing and its webhook delivery.", no_args_is_help=True)


@briefing_app.command("show")
@clean_errors
def show_command(
    org: Annotated[str, typer.Option(help="Organisation id")],
    as_json: Annotated[bool, typer.Option("--json", help="The briefing as the API answers it")] = False,
) -> None:
    """An organisation's briefing of today (what GET /v1/briefing answers)."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        name = services.orgs.get(org).name
        briefing = briefing_for(services, org)
    if as_json:
        print(json.dumps(briefing.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        console.print(summary_text(briefing, name), highlight=False, markup=False)


@briefing_app.command("send")
@clean_errors
def send_command(
    org: Annotated[
        list[str] | None, typer.Option(help="Only this organisation (repeatable); default every one with a webhook")
    ] = None,
) -> None:
    """Post today's briefing to each organisation's webhook, once a day per organisation.

    Re-runs and other senders post nothing twice; failed posts are retried with backoff
    (FLUXORI_WEBHOOK_ATTEMPTS, FLUXORI_WEBHOOK_RETRY_SECONDS)."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        for org_id in org or []:
            services.orgs.get(org_id)  # an unknown organisation is a typo, said as such
        results = Sender.of(services).send_all(org or None)
    if not results:
        console.print("No organisation has a briefing webhook (PUT /v1/briefing/webhook registers one).")
        return
    table = Table("organisation", "day", "outcome", "attempts", "detail", title="Briefing deliveries")
    for result in results:
        table.add_row(result.org_id, result.day, result.outcome.value, str(result.attempts), result.detail)
    console.print(table)
    if failed := [r.org_id for r in results if r.outcome == Outcome.failed]:
        raise fail(f"the briefing could not be delivered to: {', '.join(failed)}")


class BriefingTimer:
    """`fluxori briefing send` inside `fluxori serve`: at start, then every `minutes`, in a daemon thread.
    Each organisation still gets one briefing a day (the day's delivery record decides)."""

    def __init__(self, services: Services, minutes: int) -> None:
        self.services, self.every = services, minutes * 60.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self) -> list[SendResult]:
        results = Sender.of(self.services).send_all()
        for result in results:
            if result.outcome in (Outcome.delivered, Outcome.failed):
                log.info("briefing of %s: %s after %d attempt(s)", result.org_id, result.outcome, result.attempts)
        return results

    def start(self) -> BriefingTimer:
        self._thread = threading.Thread(target=self._loop, name="briefing-timer", daemon=True)
        self._thread.start()
        atexit.register(self.stop)  # stopped before the interpreter tears down (see domain.recovery)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=15)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.send()
            except Exception as exc:  # e.g. Firestore unreachable: the next round tries again
                log.warning("the briefing timer's run failed: %s: %s", type(exc).__name__, exc)
            self._stop.wait(self.every)
