"""Backups of the whole database and their restore: the adapters behind `fluxori backup`.

Local mode (Google's Firestore emulator, `domain.emulator`):

- a backup is a folder `FLUXORI_DATA_DIR/backups/NAME` laid out like the data directory's own: `snapshot/` (an
  emulator export, what `--import-data` reads) and `backup.json` (when, of what, how long it took). It is made by
  the emulator that runs on the data directory (a live export, so writes not yet saved by its guard are in it),
  or, when none runs, is a copy of the last snapshot, which the emulator wrote and swapped in whole;
- a restore puts a backup's snapshot in place of the data directory's (the replaced one is kept as a backup
  named `pre-restore-...`, so a restore can be undone) and a fresh emulator imports it;
- either can go through a Cloud Storage prefix (`gs://bucket/prefix/NAME/...`): uploaded after create,
  downloaded before restore.

gcp mode (`ManagedBackups`): Firestore's managed export (`export_documents`, at a whole-minute `snapshot_time`,
which makes it a consistent snapshot rather than a scan of a changing database) to a Cloud Storage prefix, and an
import into a new database, to which the composite indexes and TTL policies of the live one are copied (an
export carries documents only); or a restore of one of the daily scheduled backups (Terraform) into a new
database. The service is then pointed at the new database (FLUXORI_FIRESTORE_DATABASE, docs/operations.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from google.cloud import firestore

# export_lock: the emulator's own lock on its snapshot folder, so a guard's export and a restore never swap it at
# the same time.
from domain.emulator import (
    EXPORT_NAME,
    export_lock,
    export_snapshot,
    owner_alive,
    port_is_free,
    process_alive,
    read_owner,
)
from domain.errors import Conflict, InvalidInput, NotFound
from domain.store import utcnow

MANIFEST = "backup.json"
METADATA_SUFFIX = ".overall_export_metadata"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
DATABASE_ID = re.compile(r"[a-z][a-z0-9-]{2,61}[a-z0-9]")  # Firestore's rule for a database id
OPERATION_TIMEOUT_SECONDS = 6 * 3600.0  # a managed export or import of a large database takes hours


@dataclass(frozen=True)
class BackupInfo:
    name: str
    location: str  # a folder, gs://bucket/prefix/NAME, or a scheduled backup's resource name
    created_at: datetime
    size_bytes: int
    source: str = ""  # what it was made from
    seconds: float = 0.0  # how long making it took


def backup_name(name: str | None = None, now: datetime | None = None) -> str:
    """The given name, checked, or one from the time (UTC): 20250101-120000."""
    name = name or (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    if not NAME.fullmatch(name):
        raise InvalidInput(f"{name!r} is not a backup name: 1-100 letters, digits, '.', '_' or '-', not first '.'")
    return name


# Local ------------------------------------------------------------------------------------------------------
def snapshot_metadata(folder: Path) -> Path | None:
    """The file the emulator imports (`--import-data`) of a folder laid out like a data directory."""
    path = folder / EXPORT_NAME / f"{EXPORT_NAME}{METADATA_SUFFIX}"
    return path if path.is_file() else None


def create_local(backups_dir: Path, name: str, *, emulator_url: str | None, data_dir: Path, project: str) -> BackupInfo:
    """A backup in backups_dir/NAME: exported by the emulator at `emulator_url` (a live one), or copied from
    data_dir's snapshot when none runs. Written to a hidden folder first, so a backup that shows is complete."""
    target = backups_dir / name
    if target.exists():
        raise Conflict(f"a backup named {name!r} exists already in {backups_dir}; choose another --name")
    started = time.monotonic()
    partial = backups_dir / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        if emulator_url is not None:
            export_snapshot(emulator_url, project, partial)
            (partial / ".export.lock").unlink(missing_ok=True)
        else:
            with export_lock(data_dir):
                if snapshot_metadata(data_dir) is None:
                    raise NotFound(f"no data to back up in {data_dir} yet: run `fluxori seed` or `fluxori serve` first")
                shutil.copytree(data_dir / EXPORT_NAME, partial / EXPORT_NAME)
        info = BackupInfo(
            name=name,
            location=str(target),
            created_at=utcnow(),
            size_bytes=folder_size(partial),
            source="live emulator export" if emulator_url else f"snapshot of {data_dir}",
            seconds=round(time.monotonic() - started, 3),
        )
        _write_manifest(partial, info, project)
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return info


def list_local(backups_dir: Path) -> list[BackupInfo]:
    """The complete backups of backups_dir, oldest first."""
    if not backups_dir.is_dir():
        return []
    found = [read_local(folder) for folder in backups_dir.iterdir() if (folder / MANIFEST).is_file()]
    return sorted(found, key=lambda info: (info.created_at, info.name))


def read_local(folder: Path) -> BackupInfo:
    if snapshot_metadata(folder) is None or not (folder / MANIFEST).is_file():
        raise NotFound(f"{folder} is not a complete backup (it needs {MANIFEST} and {EXPORT_NAME}/)")
    data = json.loads((folder / MANIFEST).read_text())
    return BackupInfo(
        name=folder.name,
        location=str(folder),
        created_at=datetime.fromisoformat(data["created_at"]),
        size_bytes=folder_size(folder),
        source=data.get("source", ""),
        seconds=float(data.get("seconds", 0.0)),
    )


def restore_local(backup: Path, data_dir: Path, backups_dir: Path, now: datetime | None = None) -> str | None:
    """Put the backup's snapshot in place of data_dir's (no emulator may run on data_dir: the caller makes sure).
    The replaced snapshot becomes the backup `pre-restore-TIME`, whose name is returned (None: there was none)."""
    read_local(backup)
    now = now or utcnow()
    kept = None
    with export_lock(data_dir):
        incoming = data_dir / f".{EXPORT_NAME}-restoring"
        shutil.rmtree(incoming, ignore_errors=True)
        shutil.copytree(backup / EXPORT_NAME, incoming)
        current = data_dir / EXPORT_NAME
        if snapshot_metadata(data_dir) is not None:
            kept = backup_name(f"pre-restore-{now:%Y%m%d-%H%M%S}")
            folder = backups_dir / kept
            folder.mkdir(parents=True)
            current.rename(folder / EXPORT_NAME)
            info = BackupInfo(kept, str(folder), now, folder_size(folder), f"replaced by the restore of {backup.name}")
            _write_manifest(folder, info, "")
        else:
            shutil.rmtree(current, ignore_errors=True)
        incoming.rename(current)
    return kept


@dataclass(frozen=True)
class Owner:
    """The live process that runs the emulator of a data directory (a `fluxori serve`, or another command)."""

    pid: int
    command: str


def live_owner(data_dir: Path, port: int) -> Owner | None:
    if not owner_alive(data_dir, port):
        return None
    pid = int((read_owner(data_dir) or {})["pid"])
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        command = "?"
    return Owner(pid, command)


def stop_owner(owner: Owner, port: int, host: str = "127.0.0.1", timeout: float = 60.0) -> None:
    """SIGTERM, as a supervisor stops it: the process saves its data (emulator export) and stops its emulator."""
    with suppress(ProcessLookupError):
        os.kill(owner.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(owner.pid) and port_is_free(host, port):
            return
        time.sleep(0.2)
    raise Conflict(f"process {owner.pid} did not stop within {timeout:.0f} s of SIGTERM; stop it, then restore")


def running_refusal(owner: Owner, port: int) -> str:
    return (
        f"process {owner.pid} ({owner.command}) runs the emulator of this data directory on port {port}: a restore "
        "would replace the data it serves. Stop it first (Ctrl-C), or pass --force, which stops it (SIGTERM: it "
        "saves its data, kept as a `pre-restore-...` backup), restores into a fresh emulator, and leaves it "
        "stopped: start `fluxori serve` again afterwards"
    )


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _write_manifest(folder: Path, info: BackupInfo, project: str) -> None:
    data = asdict(info) | {"created_at": info.created_at.isoformat(), "project": project}
    for key in ("location", "size_bytes", "name"):  # they follow from where the folder is
        data.pop(key)
    (folder / MANIFEST).write_text(json.dumps(data, indent=2) + "\n")


# Documents --------------------------------------------------------------------------------------------------
def documents(client: firestore.Client) -> dict[str, dict[str, Any]]:
    """Every document of the database, by path (a restore is compared with it, and counts with it)."""
    return {
        snap.reference.path: snap.to_dict() or {}
        for collection in client.collections()
        for snap in collection.recursive().stream()
    }
