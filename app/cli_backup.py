"""`fluxori backup create | list | restore | verify`: backups of the database, their restore, and the check of the
invariants that every organisation's data keeps. The runbook is docs/operations.md; the adapters are
domain/backups.py (local emulator export and import, Firestore's managed export and import in gcp mode) and
domain/invariants.py."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from app.cli_common import clean_errors, console, fail, load_settings
from app.local_firestore import local_firestore
from assistant.settings import Settings
from domain.emulator import FirestoreEmulator, adopt_orphan, owner_alive
from domain.errors import InvalidInput, NotFound
from domain.store import make_client

if TYPE_CHECKING:
    from domain.backups import BackupInfo
    from domain.invariants import Report
    from domain.managed_backups import ManagedBackups

backup_app = typer.Typer(
    help="Backups of the database, their restore, and a check of its invariants (docs/operations.md).",
    no_args_is_help=True,
)
GsOption = Annotated[str | None, typer.Option(help="A Cloud Storage prefix, gs://BUCKET/PREFIX", show_default=False)]


@backup_app.command("create")
@clean_errors
def create_command(
    name: Annotated[str | None, typer.Option(help="The backup's name (default: the time, 20250101-120000)")] = None,
    to: GsOption = None,
) -> None:
    """Back up the whole database (locally into FLUXORI_DATA_DIR/backups/NAME or --to; gcp: managed export)."""
    from domain import backups

    settings = load_settings()
    name = backups.backup_name(name)
    if settings.mode == "gcp":
        if not to:
            raise fail(
                "in gcp mode a backup is a managed export to Cloud Storage: give --to gs://BUCKET/PREFIX "
                "(the bucket is `terraform output firestore_exports_bucket`)",
                2,
            )
        info = _managed(settings).export(to, name, started=_started)
    else:
        info = _create_local(settings, name, to)
    console.print(f"Backup [bold]{info.name}[/bold] ({info.source}) in {info.location}", highlight=False)
    console.print(f"  {_size(info.size_bytes)} in {info.seconds:.1f} s", highlight=False)


def _create_local(settings: Settings, name: str, to: str | None) -> BackupInfo:
    from domain import backup_storage, backups

    data_dir, url = settings.data_dir / "firestore", _running_emulator(settings)
    if to is None:
        return backups.create_local(
            _backups_dir(settings), name, emulator_url=url, data_dir=data_dir, project=settings.project
        )
    with backup_storage.scratch() as folder:
        info = backups.create_local(folder, name, emulator_url=url, data_dir=data_dir, project=settings.project)
        return replace(
            info, location=backup_storage.upload(backup_storage.storage_client(settings.project), folder / name, to)
        )


def _running_emulator(settings: Settings) -> str | None:
    """The emulator to export from: one named by FIRESTORE_EMULATOR_HOST, or the one a live process runs on the
    data directory. None: nothing runs, and the data directory's snapshot is the data (an orphan found running
    is exported into it first, as every command does)."""
    if external := os.environ.get("FIRESTORE_EMULATOR_HOST"):
        return f"http://{external}"
    shared = FirestoreEmulator(port=settings.emulator_port)
    if not shared.answers():
        return None
    data_dir = settings.data_dir / "firestore"
    if owner_alive(data_dir, settings.emulator_port):
        return shared.url
    adopt_orphan(shared.host, shared.port, data_dir, settings.project)
    return None


@backup_app.command("list")
@clean_errors
def list_command(
    source: Annotated[
        str | None,
        typer.Option("--from", help="List the exports under this gs://BUCKET/PREFIX instead", show_default=False),
    ] = None,
) -> None:
    """The backups with their time and size (locally FLUXORI_DATA_DIR/backups; gcp: the scheduled ones; or --from)."""
    from domain import backup_storage, backups

    settings = load_settings()
    rows: list[BackupInfo] = []
    if source:
        rows += backup_storage.list_gs(backup_storage.storage_client(settings.project), source)
    elif settings.mode == "local":
        rows += backups.list_local(_backups_dir(settings))
    if settings.mode == "gcp":
        rows += _managed(settings).scheduled()
    where = source or (str(_backups_dir(settings)) if settings.mode == "local" else "the scheduled backups")
    if not rows:
        console.print(f"No backups in {where}.", highlight=False)
        return
    table = Table("name", "created (UTC)", "size", "made from / where", title=f"Backups in {where}")
    for info in rows:
        table.add_row(
            info.name, f"{info.created_at:%Y-%m-%d %H:%M:%S}", _size(info.size_bytes), info.source or info.location
        )
    console.print(table)


@backup_app.command("restore")
@clean_errors
def restore_command(
    name: Annotated[str, typer.Argument(help="A backup's name (see `list`), a gs:// prefix, or a scheduled backup")],
    force: Annotated[
        bool,
        typer.Option(
            help="Locally: stop the process that runs the emulator on this data directory (it saves its data) and "
            "restore. In gcp mode: import into the live database itself"
        ),
    ] = False,
    database: Annotated[
        str | None, typer.Option(help="gcp mode: the NEW database id to restore into", show_default=False)
    ] = None,
    source: Annotated[
        str | None, typer.Option("--from", help="The gs://BUCKET/PREFIX that holds the backup NAME", show_default=False)
    ] = None,
) -> None:
    """Restore a backup: locally into a fresh emulator on the data directory; in gcp mode into a new --database."""
    settings = load_settings()
    where = f"{source.rstrip('/')}/{name}" if source and not name.startswith(("gs://", "projects/")) else name
    if settings.mode == "gcp":
        _restore_managed(settings, where, database, force)
        return
    if database:
        raise fail("--database is for gcp mode: locally a restore replaces the data directory's data", 2)
    _restore_local(settings, where, force)


def _restore_local(settings: Settings, name: str, force: bool) -> None:
    from domain import backup_storage, backups

    if external := os.environ.get("FIRESTORE_EMULATOR_HOST"):
        raise fail(
            f"FIRESTORE_EMULATOR_HOST names an emulator that fluxori does not manage ({external}); a restore "
            "replaces the data directory's data and starts a fresh emulator on it: unset FIRESTORE_EMULATOR_HOST",
            2,
        )
    started = time.monotonic()
    data_dir, backups_dir, port = settings.data_dir / "firestore", _backups_dir(settings), settings.emulator_port
    with backup_storage.scratch() as folder:
        if name.startswith("gs://"):
            backup = backup_storage.download(backup_storage.storage_client(settings.project), name, folder)
        else:
            backup = _local_backup(backups_dir, name)
        info = backups.read_local(backup)
        owner = backups.live_owner(data_dir, port)
        if owner is not None and not force:
            raise fail(backups.running_refusal(owner, port))
        if owner is not None:
            console.print(f"Stopping process {owner.pid} ({owner.command}); it saves its data first.", highlight=False)
            backups.stop_owner(owner, port)
        elif FirestoreEmulator(port=port).answers():  # an orphan: saved like any command does, then replaced
            adopt_orphan("127.0.0.1", port, data_dir, settings.project)
        kept = backups.restore_local(backup, data_dir, backups_dir)
    emulator = FirestoreEmulator(port=port, data_dir=data_dir, project=settings.project).start()
    try:
        count = len(backups.documents(make_client(settings.project, emulator_host=emulator.address)))
    finally:
        emulator.stop(export=False)
        os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
    console.print(
        f"Restored [bold]{info.name}[/bold] (made {info.created_at:%Y-%m-%d %H:%M:%S} UTC) into {data_dir}: a fresh "
        f"emulator imported {count} documents; {time.monotonic() - started:.1f} s in all.",
        highlight=False,
    )
    if kept:
        console.print(f"The data it replaced is kept as backup [bold]{kept}[/bold] (restore it to undo).")
    console.print("Check it with `fluxori backup verify`, then start `fluxori serve`.")


def _local_backup(backups_dir: Path, name: str) -> Path:
    from domain import backups

    folder = backups_dir / backups.backup_name(name)
    if not folder.is_dir():
        known = ", ".join(info.name for info in backups.list_local(backups_dir)) or "none"
        raise NotFound(f"there is no backup {name!r} in {backups_dir}; backups: {known}")
    return folder


def _restore_managed(settings: Settings, source: str, database: str | None, force: bool) -> None:
    if not database:
        raise fail(
            "give --database NEW_ID: in gcp mode a restore goes into a new database, which the service is then "
            "pointed at (docs/operations.md)",
            2,
        )
    if not source.startswith(("gs://", "projects/")):
        raise InvalidInput(
            f"{source!r}: give the export's gs:// prefix (or NAME with --from gs://BUCKET/PREFIX), or a scheduled "
            "backup's name projects/.../backups/ID (`fluxori backup list`)"
        )
    started = time.monotonic()
    restored = _managed(settings).restore(source, database, into_live=force, started=_started)
    console.print(f"Restored {source} into {restored} in {time.monotonic() - started:.0f} s.", highlight=False)
    if database != settings.firestore_database:
        console.print(
            f"Check it with `FLUXORI_FIRESTORE_DATABASE={database} fluxori backup verify`, then point the service at "
            f"it: FLUXORI_FIRESTORE_DATABASE={database} (docs/operations.md).",
            highlight=False,
        )


@backup_app.command("verify")
@clean_errors
def verify_command(
    database: Annotated[
        str | None, typer.Option(help="The database id (default FLUXORI_FIRESTORE_DATABASE)", show_default=False)
    ] = None,
    org: Annotated[str | None, typer.Option(help="Only this organisation", show_default=False)] = None,
) -> None:
    """Check each organisation's invariants (ledger, stock, totals, reservations, confirmations); 1 on a breach."""
    from domain.invariants import org_ids, verify

    settings = load_settings()
    with local_firestore(settings):
        client = make_client(settings.project, database or settings.firestore_database)
        orgs = org_ids(client)
        if org is not None and org not in orgs:
            raise NotFound(f"there is no organisation {org!r}; organisations: {', '.join(orgs) or 'none'}")
        report = verify(client, orgs=[org] if org else orgs)
    if not report.orgs:
        console.print("no organisations: nothing to verify")
        return
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_report(report: Report) -> None:
    from domain.invariants import CHECKS

    table = Table("organisation", "check", "rows", "result", title="Invariants")
    for org in report.orgs:
        for check, meaning in CHECKS.items():
            found = org.breaches_of(check)
            result = f"[red]{len(found)} breach{'es' if len(found) > 1 else ''}[/red]" if found else "[green]ok[/green]"
            table.add_row(org.org_id, meaning, str(org.checked.get(check, 0)), result)
    console.print(table)
    if report.ok:
        console.print(f"All invariants hold in {len(report.orgs)} organisation(s).")
        return
    breaches = Table("organisation", "check", "what", "detail", title="Breaches")
    for breach in report.breaches[:MAX_SHOWN]:
        breaches.add_row(breach.org_id, breach.check, breach.subject, breach.detail)
    console.print(breaches)
    if len(report.breaches) > MAX_SHOWN:
        console.print(f"... and {len(report.breaches) - MAX_SHOWN} more.")
    orgs = sorted({b.org_id for b in report.breaches})
    console.print(f"[red]{len(report.breaches)} breach(es)[/red] in: {', '.join(orgs)}", highlight=False)


MAX_SHOWN = 50


def _managed(settings: Settings) -> ManagedBackups:
    from domain import managed_backups

    return managed_backups.ManagedBackups(
        managed_backups.admin_client(), settings.project, settings.firestore_database, settings.region
    )


def _started(operation: str) -> None:
    console.print(f"  operation {operation} (follow it: gcloud firestore operations describe {operation})")


def _backups_dir(settings: Settings) -> Path:
    return settings.data_dir / "backups"


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"
