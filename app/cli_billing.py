"""`fluxori billing`: a monthly statement of an organisation, and the daily billing export (a Cloud Run job runs
`fluxori billing export` every night in gcp mode; terraform/)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from app.cli_common import clean_errors, console, fail, load_settings
from app.local_firestore import local_firestore
from app.wiring import Services
from domain.credits import credits_text
from domain.uploads import BucketUploads, FolderUploads, UploadStore

billing_app = typer.Typer(help="Statements and the daily billing export.", no_args_is_help=True)


@billing_app.command("statement")
@clean_errors
def statement_command(
    org: Annotated[str, typer.Option(help="Organisation id")],
    month: Annotated[str, typer.Option(help="YYYY-MM, in SAST")],
    format: Annotated[Literal["text", "csv", "pdf"], typer.Option(help="text (a summary here), csv or pdf")] = "text",
    out: Annotated[Path | None, typer.Option(help="Write the csv or pdf here (default: next to you)")] = None,
) -> None:
    """An organisation's statement of one month: opening balance, purchases, grants, usage, closing balance."""
    from assistant.billing.documents import statement_csv, statement_pdf
    from assistant.billing.statements import statement

    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        found = statement(services, org, month)
    if format == "text":
        table = Table("line", "credits", title=f"{found.org_name} ({found.org_id}), {found.month}")
        for label, mc in (
            ("opening balance", found.opening_mc),
            ("purchases", found.purchases_mc),
            ("grants", found.grants_mc),
            (f"usage ({found.questions} questions)", -found.usage_mc),
            ("held at start, given back", found.held_at_start_mc),
            ("held at end", -found.held_at_end_mc),
            ("closing balance", found.closing_mc),
        ):
            table.add_row(label, credits_text(mc))
        console.print(table)
        state = "reconciles with the ledger" if found.reconciled else "DOES NOT reconcile with the ledger"
        console.print(f"The closing balance {state} ({credits_text(found.ledger_closing_mc)}).", highlight=False)
        if not found.reconciled:
            raise typer.Exit(1)
        return
    target = out or Path(f"fluxori-statement-{found.org_id}-{found.month}.{format}")
    if format == "csv":
        target.write_text(statement_csv(found), encoding="utf-8")
    else:
        target.write_bytes(statement_pdf(found))
    console.print(f"Wrote {target}.")


@billing_app.command("export")
@clean_errors
def export_command(
    day: Annotated[str | None, typer.Option(help="YYYY-MM-DD (SAST); default yesterday")] = None,
) -> None:
    """Write one day's charges and grants of every organisation as NDJSON into the billing bucket (local mode:
    the data directory's billing folder)."""
    from assistant.billing.export import export_day, partition, yesterday

    try:
        chosen = date.fromisoformat(day) if day else yesterday()
    except ValueError:
        raise fail(f"a day is written YYYY-MM-DD (not {day!r})", 2) from None
    settings = load_settings()
    with local_firestore(settings) as local:
        services = Services(settings, on_write=local.on_write)
        bucket = services.billing_settings.billing_bucket
        sink: UploadStore
        if bucket:
            sink = BucketUploads(settings.project, bucket, partition(chosen))
            where = f"gs://{bucket}/{partition(chosen)}"
        elif settings.mode == "gcp":
            raise fail("gcp mode needs FLUXORI_BILLING_BUCKET (terraform output billing_bucket)", 2)
        else:
            folder = settings.data_dir / "billing" / partition(chosen)
            sink, where = FolderUploads(folder), str(folder)
        count = export_day(services, [org.id for org in services.orgs.list()], chosen, sink)
    console.print(f"Exported {count} ledger rows of {chosen} to {where}.", highlight=False)
