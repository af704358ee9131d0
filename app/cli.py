"""The `fluxori` command line (Typer). Every command reports refusals as one clear line, never a traceback."""

from __future__ import annotations

import os
import uuid
from typing import Annotated, Any

import typer
from rich.table import Table

from app.api.logging import configure_logging
from app.cli_backup import backup_app
from app.cli_billing import billing_app
from app.cli_briefing import BriefingTimer, briefing_app
from app.cli_chat import chat_command, eval_agent_command
from app.cli_common import KeyOption, clean_errors, console, fail, load_settings
from app.cli_eval import eval_app
from app.cli_ingest import ingest_app, search_command
from app.cli_remote import remote
from app.local_firestore import local_firestore
from app.wiring import Services
from assistant.application import audit as app_audit
from domain.audit import AuditAction
from domain.credits import MC_PER_CREDIT, as_credits, credits_text
from domain.orgs import Role, hash_key
from ingestion.models import IngestReport

# Progress bars of the model libraries (weights loading) never belong in an answer or a server log.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

app = typer.Typer(help="Fluxori Assistant: the AI assistant of the Fluxori e-commerce platform.", no_args_is_help=True)
admin_app = typer.Typer(help="Organisations, API keys and credits.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(ingest_app, name="ingest")
app.add_typer(eval_app, name="eval")
app.add_typer(billing_app, name="billing")
app.add_typer(backup_app, name="backup")
app.add_typer(briefing_app, name="briefing")
app.command("search")(search_command)
app.command("chat")(clean_errors(chat_command))
eval_app.command("agent")(clean_errors(eval_agent_command))


def _audit(services: Services, org_id: str | None, action: AuditAction, target: str, **details: Any) -> None:
    """The audit record of an admin command, acted by the CLI; its JSON line goes to stderr as the server's do."""
    configure_logging(services.settings.log_level)
    app_audit.record(
        services,
        org_id,
        action,
        actor_key_id="cli",
        role=app_audit.OPERATOR,
        target=target,
        request_id=f"cli-{uuid.uuid4().hex}",  # one command, one id
        details=details,
    )


def print_demo_keys() -> None:
    from domain.demo import DEMO_KEYS

    table = Table("API key", "organisation", "role", title="Demo API keys (local mode)")
    for key, (org_id, role) in DEMO_KEYS.items():
        table.add_row(key, org_id, role.value)
    console.print(table)


@app.command("seed")
@clean_errors
def seed_command() -> None:
    """Create the demo organisations, catalogues, orders, shipments, credits and API keys (idempotent)."""
    from domain.demo import DEMO_ORGS, seed

    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        written = seed(services.store)
    for org in DEMO_ORGS:
        state = "created" if written[org.id] else "already present, unchanged"
        console.print(f"{org.name} ([bold]{org.id}[/bold]): {state}")
    print_demo_keys()


@app.command("serve")
@clean_errors
def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default FLUXORI_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default FLUXORI_PORT, 8080)")] = None,
    demo: Annotated[bool, typer.Option(help="Seed the demo data when the database is empty (local mode)")] = True,
) -> None:
    """Run the API (and the web UI) on embedded defaults in local mode, or against Google Cloud in gcp mode."""
    import uvicorn

    from app.api.app import create_app
    from app.demo_index import DemoIndexer
    from domain.demo import seed
    from domain.emulator import port_is_free
    from domain.recovery import Recovery

    settings = load_settings()
    host, port = host or settings.host, port or settings.port
    settings.host, settings.port = host, port  # PayFast's notify and return URLs name the address served
    if not port_is_free(host, port):
        raise fail(f"port {port} is already in use; stop what runs there or pass --port", 2)
    with local_firestore(settings) as local:
        emulator = local.emulator
        services = Services(settings, on_write=local.on_write)
        indexer = None
        if settings.mode == "local" and demo:
            if any(seed(services.store).values()):
                console.print("Seeded the demo data.")
            if emulator is not None:
                emulator.export(settings.project)
            console.print(
                "Indexing the demo help centre and catalogues in the background (unchanged ones are skipped)."
            )
            indexer = DemoIndexer(services, _print_index_report).start()
        base = f"http://{host}:{port}"
        console.print(f"Fluxori Assistant ({settings.mode} mode, model {settings.llm_model})")
        console.print(f"  API   {base}/v1\n  Docs  {base}/docs\n  UI    {base}/ui")
        if settings.mode == "local":
            print_demo_keys()
        console.print("Press Ctrl-C to stop; the data is kept in " + str(settings.data_dir))
        api = create_app(services, demo_index=indexer)
        # Refunds reservations and releases confirmations that a crash left open: at start, then every minute.
        recovery = Recovery(services.store, services.credits).start()
        # Off by default (FLUXORI_BRIEFING_TIMER_MINUTES): in gcp mode Cloud Scheduler runs `fluxori briefing send`.
        minutes = settings.briefing_timer_minutes
        timer = BriefingTimer(services, minutes).start() if minutes else None
        try:
            # The app writes one JSON line per request itself (app.api.middleware): uvicorn's access log is off.
            uvicorn.run(api, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
        finally:
            recovery.stop()
            if timer is not None:
                timer.stop()
            if indexer is not None:
                indexer.stop()
    console.print("Stopped.")


def _print_index_report(org: str, report: IngestReport) -> None:
    console.print(
        f"Demo index of {org}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.deleted} deleted, {report.failed} failed in {report.seconds:.1f}s",
        highlight=False,
    )


@app.command("credits")
@clean_errors
def credits_command(
    org: Annotated[str | None, typer.Option(help="Organisation id; a --key decides it itself")] = None,
    limit: Annotated[int, typer.Option(help="How many ledger entries", min=1, max=200)] = 10,
    key: KeyOption = None,
) -> None:
    """The organisation's AI credits: balance, daily quota, today's use and the latest ledger entries."""
    from app.api.schemas import CreditsView

    settings = load_settings()
    server = remote(settings, key, org)
    if server is not None:
        view = CreditsView.model_validate(server.get("/v1/credits", limit=limit))
    else:
        if not org:
            raise fail("give --org (no server with an API key to ask: start `fluxori serve` or pass --key)", 2)
        from assistant.application.credits import overview
        from domain.orgs import Principal

        with local_firestore(settings) as local:
            services = Services(settings, on_write=local.on_write)
            services.orgs.get(org)
            principal = Principal(org_id=org, role=Role.merchant, key_id="cli", label="terminal")
            found = overview(services, principal, ledger_limit=limit)
        view = CreditsView.of(found.account, found.ledger, found.daily_usage)
    console.print(
        f"[bold]{view.org_id}[/bold]: {view.balance:g} credits; daily quota {view.daily_quota:g}, "
        f"{view.used_today:g} used today, {view.remaining_today:g} left today",
        highlight=False,
    )
    table = Table("time (UTC)", "kind", "credits", "balance after", "note / request", title="Latest ledger entries")
    for item in view.ledger:
        table.add_row(
            f"{item.created_at:%Y-%m-%d %H:%M}",
            item.kind,
            f"{item.amount:+g}",
            f"{item.balance_after:g}",
            item.note or item.request_id,
        )
    console.print(table)


@admin_app.command("create-org")
@clean_errors
def create_org(org_id: str, name: Annotated[str, typer.Option(help="Display name")]) -> None:
    """Create an organisation with an empty credits account."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        services.orgs.create(org_id, name)
        services.credits.open_account(org_id)
    console.print(f"Created organisation {org_id}.")


@admin_app.command("create-key")
@clean_errors
def create_key(
    org: Annotated[str, typer.Option(help="Organisation id")],
    role: Annotated[Role, typer.Option(help="merchant, support or admin")] = Role.merchant,
    label: Annotated[str, typer.Option(help="What the key is for")] = "",
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        key = services.api_keys.create(org, role, label)
        _audit(services, org, AuditAction.key_created, hash_key(key), role=role.value, label=label)
    console.print(f"API key for {org} ({role.value}), shown once:")
    print(key)


@admin_app.command("grant")
@clean_errors
def grant(
    org: Annotated[str, typer.Option(help="Organisation id")],
    credits: Annotated[float, typer.Option(help="Credits to add", min=0.001)],
    key: Annotated[str, typer.Option(help="Idempotency key: the same key never grants twice")],
    note: Annotated[str, typer.Option(help="Why")] = "",
) -> None:
    """Top up an organisation's AI credits."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        entry = services.credits.grant(org, round(credits * MC_PER_CREDIT), key, note)
        _audit(services, org, AuditAction.credits_granted, entry.id, credits=credits, idempotency_key=key, note=note)
    console.print(f"Balance of {org}: {credits_text(entry.balance_after_mc)}")


@admin_app.command("list-keys")
@clean_errors
def list_keys(org: Annotated[str, typer.Option(help="Organisation id")]) -> None:
    """The organisation's API keys (never the keys themselves: their id, prefix, role and label)."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        services.orgs.get(org)
        keys = services.api_keys.list(org)
    table = Table("id", "prefix", "role", "label", "created", "revoked")
    for key in keys:
        table.add_row(
            key["id"], key["prefix"], key["role"], key["label"], f"{key['created_at']:%Y-%m-%d}", str(key["revoked"])
        )
    console.print(table)


@admin_app.command("revoke-key")
@clean_errors
def revoke_key(key: Annotated[str, typer.Argument(help="The key itself, or its id from list-keys")]) -> None:
    """Revoke an API key at once: its next request gets 401."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        key_id = hash_key(key) if key.startswith("fx_") else key
        holder = services.api_keys.by_id(key_id, cache_seconds=0)  # its organisation; None if revoked already
        services.api_keys.revoke(key_id)
        _audit(
            services, holder.org_id if holder else None, AuditAction.key_revoked, key_id, already_revoked=holder is None
        )
    console.print("Revoked.")


@admin_app.command("set-quota")
@clean_errors
def set_quota(
    org: Annotated[str, typer.Option(help="Organisation id")],
    credits: Annotated[float, typer.Option(help="Credits the organisation may use per day (SAST)", min=0.001)],
) -> None:
    """Change an organisation's daily AI quota (it applies from the next call)."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        previous = services.credits.account(org).daily_quota_mc
        services.credits.set_daily_quota(org, round(credits * MC_PER_CREDIT))
        account = services.credits.account(org)
        _audit(services, org, AuditAction.quota_changed, "daily_quota", credits=credits, previous=as_credits(previous))
    used = credits_text(account.used_today_mc)
    console.print(f"Daily quota of {org}: {credits_text(account.daily_quota_mc)} ({used} used today)")


@admin_app.command("recount")
@clean_errors
def recount(org: Annotated[str, typer.Option(help="Organisation id")]) -> None:
    """Rebuild the figures kept for reports from the data itself: each product's stock totals (low-stock report)
    and each order's units (sales summary). For data written by older versions or loaded from elsewhere."""
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        services.orgs.get(org)
        products, orders = services.inventory.recount(org), services.orders.recount_units(org)
    console.print(f"Recounted {org}: {products} products and {orders} orders corrected.")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="fluxori")


if __name__ == "__main__":  # pragma: no cover
    main()
