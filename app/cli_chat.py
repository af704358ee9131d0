"""`fluxori chat` (the assistant in a terminal) and `fluxori eval agent` (registered in app.cli)."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from app.cli_common import KeyOption, console, err, fail, load_settings
from app.cli_remote import remote
from assistant.contracts import ChatResponse, PendingConfirmation, StreamEvent

if TYPE_CHECKING:
    from app.wiring import Services


def _print_stream(events: Iterable[StreamEvent]) -> ChatResponse:
    """Tokens as they come, then the actions, sources and the pending confirmation."""
    final = None
    for event in events:
        if event.event == "token":
            console.print(event.data["text"], end="", highlight=False, markup=False)
        elif event.event == "tool_call":
            err.print(f"[dim]… {event.data['tool']}({event.data['args']})[/dim]", highlight=False)
        elif event.event == "final":
            final = ChatResponse(**event.data)
    assert final is not None
    console.print()
    for action in final.actions:
        console.print(f"[bold]{action.status}[/bold] {action.tool} {action.args}", highlight=False)
    for number, citation in enumerate(final.citations, 1):
        console.print(f"[dim][{number}] {citation.title} ({citation.source})[/dim]", highlight=False)
    console.print(
        f"[dim]{final.usage.credits_charged:g} credits charged, {final.credits_balance:g} left; "
        f"conversation {final.conversation_id}[/dim]",
        highlight=False,
    )
    return final


def _approve(pending: PendingConfirmation, yes: bool) -> bool | None:
    """The decision on a proposed change: --yes, the prompt, or None (not asked: stdin is not a terminal)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        console.print("Not confirmed: run again with --yes to approve the change.")
        return None
    return typer.confirm(f"{pending.summary} Go ahead?", default=False)


def chat_command(
    message: Annotated[str, typer.Argument(help="What to ask or tell the assistant")],
    org: Annotated[
        str | None, typer.Option(help="Organisation id (you act as its merchant user); a --key decides it itself")
    ] = None,
    conversation: Annotated[
        str | None, typer.Option(help="Continue this conversation (printed after each answer)")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve a proposed change without asking")] = False,
    key: KeyOption = None,
) -> None:
    """Ask the assistant from the terminal; changes it proposes run only after you confirm.

    With `fluxori serve` running, the question goes to the server (fast: its models are loaded); otherwise this
    process loads the assistant itself.
    """
    settings = load_settings()
    server = remote(settings, key, org)
    if server is not None:
        response = _print_stream(server.stream("/v1/chat", {"message": message, "conversation_id": conversation}))
        if response.pending_confirmation and (approve := _approve(response.pending_confirmation, yes)) is not None:
            decision = {"confirmation_id": response.pending_confirmation.id, "approve": approve}
            _print_stream(server.stream("/v1/chat/confirm", decision))
        return
    if not org:
        raise fail("give --org (no server with an API key to ask: start `fluxori serve` or pass --key)", 2)
    from app.local_firestore import local_firestore
    from app.wiring import Services
    from assistant.contracts import ChatRequest, ConfirmRequest
    from domain.orgs import Principal, Role

    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        services.orgs.get(org)  # an unknown organisation is one clear line, before any model loads
        principal = Principal(org_id=org, role=Role.merchant, key_id="cli", label="terminal")
        assistant = services.assistant
        request = ChatRequest(message=message, conversation_id=conversation)
        response = _print_stream(assistant.stream(principal, request, uuid.uuid4().hex))
        if response.pending_confirmation and (approve := _approve(response.pending_confirmation, yes)) is not None:
            confirm = ConfirmRequest(confirmation_id=response.pending_confirmation.id, approve=approve)
            _print_stream(assistant.stream_confirm(principal, confirm, uuid.uuid4().hex))


def shows_failures(file: Path, asked: bool | None) -> bool:
    """Failed cases are listed unless asked not to, or the file is a frozen test split (`*_test.jsonl`): reading
    its failures case by case would be tuning on it."""
    return asked if asked is not None else not file.stem.endswith("_test")


def eval_agent_command(
    file: Annotated[Path, typer.Argument(help="JSONL dev set, e.g. evals/agent_dev.jsonl")],
    show_failures: Annotated[
        bool | None,
        typer.Option(help="List the cases that failed and why (default: yes, except for a frozen *_test split)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Also print the summary as one JSON line")] = False,
) -> None:
    """Run every case through the assistant service on fresh copies of the demo data and score it.

    Reports tool-selection, argument and answer accuracy, latency p50/p95 and credits used; the last line is
    `agent_accuracy=0.XXX`. Local mode only: cases run in throw-away projects of the Firestore emulator.
    """
    from tqdm import tqdm

    from app.local_firestore import local_firestore
    from app.wiring import Services
    from assistant.evaluation import as_json as report_json
    from assistant.evaluation import dump_failures, evaluate, load_cases
    from domain.demo import seed
    from domain.store import Store, make_client

    settings = load_settings()
    if settings.mode != "local":
        raise fail("fluxori eval agent runs on the local demo data; unset FLUXORI_MODE", 2)
    cases = load_cases(file)
    with local_firestore(settings) as local, tempfile.TemporaryDirectory(prefix="fluxori-eval-") as tmp:
        host = os.environ["FIRESTORE_EMULATOR_HOST"]

        def fresh_services(with_kb: bool) -> Services:
            project = f"eval-{uuid.uuid4().hex[:10]}"
            store = Store.connect(make_client(project, emulator_host=host, on_each_write=local.on_write))
            seed(store)
            services = Services(
                settings.model_copy(
                    update={
                        "project": project,
                        "data_dir": Path(tmp) / project,
                        "cache_dir": settings.cache_dir or settings.data_dir / "cache",
                    }
                ),
                store=store,
            )
            if with_kb:
                _index_kb(services)
            return services

        with tqdm(total=len(cases), desc="cases", unit="case", dynamic_ncols=True) as bar:
            report = evaluate(cases, fresh_services, progress=lambda _: bar.update())
    table = Table("metric", "value", title=f"{file.name}: {report.cases} cases")
    for name, value in (
        ("tool selection", f"{report.tool_accuracy:.3f}"),
        ("arguments", f"{report.argument_accuracy:.3f}"),
        ("answers", f"{report.answer_accuracy:.3f}"),
        ("all three", f"{report.accuracy:.3f}"),
        ("latency p50 / p95", f"{report.latency_p50_ms:.0f} / {report.latency_p95_ms:.0f} ms per turn"),
        ("credits used", f"{report.credits_used:g}"),
    ):
        table.add_row(name, value)
    console.print(table)
    if shows_failures(file, show_failures) and (failures := dump_failures(report)):
        console.print(failures, highlight=False, markup=False)
    if as_json:
        print(report_json(report))
    print(f"agent_accuracy={report.accuracy:.3f}")


def _index_kb(services: Services) -> None:
    """The demo help centre in the search index of a copy (the tools read products and orders directly)."""
    from ingestion.demo import ingest_demo

    ingest_demo(services, kb_only=True)
